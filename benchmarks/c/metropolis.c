/* Hand-written C reference for the benchmarks: the same checkerboard Metropolis
 * sweep and xoshiro256+ generator as emergence.ising, compiled with gcc -O3. */
#include <stdint.h>
#include <math.h>
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline double uniform(uint64_t *s) {
    uint64_t result = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return (result >> 11) * 0x1.0p-53;
}
long sweeps(int8_t *spins, int L, double beta, int n, uint64_t *state) {
    double acc[10]; long flips = 0;
    for (int a = 0; a < 2; a++) for (int b = 0; b < 5; b++) {
        double de = 2.0 * (2 * a - 1) * (2 * b - 4);
        acc[5 * a + b] = de <= 0 ? 1.0 : exp(-beta * de);
    }
    for (int sw = 0; sw < n; sw++)
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < L; i++) {
            int8_t *row = spins + (long)i * L;
            int8_t *up = spins + (long)((i + L - 1) % L) * L, *dn = spins + (long)((i + 1) % L) * L;
            for (int j = (i + c) & 1; j < L; j += 2) {
                int s = row[j];
                int nb = up[j] + dn[j] + row[j ? j - 1 : L - 1] + row[j < L - 1 ? j + 1 : 0];
                int f = uniform(state) < acc[5 * ((s + 1) >> 1) + ((nb + 4) >> 1)];
                row[j] = s - 2 * s * f; flips += f;
            }
        }
    return flips;
}
