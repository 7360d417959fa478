/* One byte counted in a buffer, a vector at a time: the duplicate-key checks count every colon of
 * each body they take (audit_shared/byte_count.py loads this library with ctypes).
 *
 * Plain C with no intrinsics and no libc: compilers turn the inner loop over 32 one-byte counters
 * into vector compares and adds on x86_64 (SSE2) and arm64 (NEON) alike, where CPython's
 * bytes.count compares one byte at a time. scripts/native.py builds it with zig for each Lambda
 * architecture, byte-identically from build to build.
 */
#include <stddef.h>

#define LANES 32
/* A one-byte counter takes at most 255 matches between two flushes, so it never wraps. */
#define ROUNDS 255

size_t aaas_count_byte(const unsigned char *buffer, size_t size, unsigned char byte) {
    size_t count = 0, i = 0;
    while (i + LANES <= size) {
        unsigned char lanes[LANES] = {0};
        for (int round = 0; round < ROUNDS && i + LANES <= size; round++, i += LANES) {
            for (int lane = 0; lane < LANES; lane++) {
                lanes[lane] += buffer[i + lane] == byte;
            }
        }
        for (int lane = 0; lane < LANES; lane++) {
            count += lanes[lane];
        }
    }
    for (; i < size; i++) {
        count += buffer[i] == byte;
    }
    return count;
}
