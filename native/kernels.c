/*
 * The native kernels. Matrix products of up to 256 rows run on register-tiled kernels written in the
 * 16-lane vector type of vec16.h (AVX-512 or AVX2); OpenBLAS takes larger ones (cblas_sgemm), one
 * row by a weight in training (cblas_sgemv) and attention's per-head products; the
 * exponential-based activations and softmax use vec16 too, and the rest are plain C loops that the
 * compiler vectorizes. Work is split over threads with OpenMP once it is large enough to pay for the
 * fork (decode-sized rows stay on one thread).
 */
#define _POSIX_C_SOURCE 200809L
#include "kernels.h"

#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vec16.h"

/* Below this many elements a parallel loop costs more than it saves. */
#define PAR_MIN 65536

/* From 2 up to this many rows, a · bᵀ runs on skinny_matmul_bt: measured faster than OpenBLAS's sgemm there. */
#define SKINNY_MAX_M 16

/* Register tile of skinny_matmul_bt: TILE_M rows of a times TILE_N rows of b, TILE_M·TILE_N accumulators. */
#if V16_REGS >= 32
#define TILE_M 4
#define TILE_N 4
#else
#define TILE_M 2
#define TILE_N 2
#endif

/* How many tiles ahead skinny_tile prefetches weight rows: without it, weights streaming in from L3 arrive at a few GB/s. */
#define SKINNY_PREFETCH 2

/* How far ahead (floats) panels_tile prefetches each panel stream: 64 values of k. */
#define PANELS_PREFETCH 1024

/* How many of lanes [i, i+16) lie below n. */
static inline int lanes(size_t i, size_t n) { return n - i >= 16 ? 16 : (int)(n - i); }

/*
 * c[m0.., j0..] = a[m0..] · b[j0..]ᵀ for one register tile: each weight vector is loaded once and used for
 * TILE_M rows of a. Rows past the edge (mb < TILE_M, nb < TILE_N) read a valid row again and their
 * results are dropped, which keeps the body fully unrolled.
 */
static void skinny_tile(const float *a, const float *b, float *c, int m0, int mb, int j0, int nb, int ldc, int K) {
  const float *ar[TILE_M], *br[TILE_N];
  for (int i = 0; i < TILE_M; i++) ar[i] = a + (size_t)(m0 + (i < mb ? i : 0)) * K;
  for (int j = 0; j < TILE_N; j++) br[j] = b + (size_t)(j0 + (j < nb ? j : 0)) * K;
  v16 acc[TILE_M][TILE_N];
  for (int i = 0; i < TILE_M; i++)
    for (int j = 0; j < TILE_N; j++) acc[i][j] = v16_zero();
  for (int k = 0; k < K; k += 16) {
    int m = lanes(k, K);
    v16 bv[TILE_N];
    for (int j = 0; j < TILE_N; j++) {
      bv[j] = v16_load_n(br[j] + k, m);
      _mm_prefetch((const char *)(br[j] + SKINNY_PREFETCH * TILE_N * (size_t)K + k), _MM_HINT_T0);
    }
    for (int i = 0; i < TILE_M; i++) {
      v16 av = v16_load_n(ar[i] + k, m);
      for (int j = 0; j < TILE_N; j++) acc[i][j] = v16_fmadd(av, bv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < mb; i++)
    for (int j = 0; j < nb; j++) c[(size_t)(m0 + i) * ldc + j0 + j] = v16_reduce_add(acc[i][j]);
}

/*
 * a · bᵀ for a few rows of a (a decode step, or a draft tree being verified), into c with row stride
 * ldc. OpenBLAS's sgemm runs far below the memory bound for small M; this streams each weight row
 * once, so verifying a few tokens costs about as much as decoding one.
 */
static void skinny_matmul_bt(const float *a, const float *b, float *c, int M, int N, int K, int ldc) {
  for (int j0 = 0; j0 < N; j0 += TILE_N)
    for (int m0 = 0; m0 < M; m0 += TILE_M)
      skinny_tile(a, b, c, m0, M - m0 < TILE_M ? M - m0 : TILE_M, j0, N - j0 < TILE_N ? N - j0 : TILE_N, ldc, K);
}

/*
 * Column panels: a weight b [N,K] rearranged once (sv_pack_panels) so that panel p holds
 * columns 16p..16p+15 k-major, bp[(p·K + k)·16 + j] = b[16p + j, k], zero past N. A tile of MR rows
 * of a times NB panels keeps MR·NB accumulators, one output vector each: per k it loads NB weight
 * vectors, broadcasts MR values of a and issues MR·NB multiply-adds, with no horizontal sums at the
 * end. The [N,K] layout needs one per output (16 sums of K/16 products), which on K = 256 cost as
 * much as the products: skinny_matmul_bt ran at ~65 GFLOP/s for 8 rows, this at ~200.
 * Every output is one lane summing k in order, so a row's result does not depend on M.
 */
static inline __attribute__((always_inline)) void panels_tile(const float *a, const float *bp, float *c, int m0, int mb, int p0, int np, int n, int K, int ldc, const int MR, const int NB) {
  const float *ar[8];
  const float *pr[16];
  for (int i = 0; i < MR; i++) ar[i] = a + (size_t)(m0 + (i < mb ? i : 0)) * K;
  for (int j = 0; j < NB; j++) pr[j] = bp + (size_t)(p0 + (p0 + j < np ? j : 0)) * K * 16;
  v16 acc[8][16];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NB; j++) acc[i][j] = v16_zero();
  for (int k = 0; k < K; k++) {
    v16 bv[16];
    for (int j = 0; j < NB; j++) {
      bv[j] = v16_load(pr[j] + (size_t)k * 16);
      _mm_prefetch((const char *)(pr[j] + (size_t)k * 16 + PANELS_PREFETCH), _MM_HINT_T0);
    }
    for (int i = 0; i < MR; i++) {
      v16 av = v16_set1(ar[i][k]);
      for (int j = 0; j < NB; j++) acc[i][j] = v16_fmadd(av, bv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < mb; i++)
    for (int j = 0; j < NB && p0 + j < np; j++) {
      int col = 16 * (p0 + j);
      v16_store_n(c + (size_t)(m0 + i) * ldc + col, lanes(col, n), acc[i][j]);
    }
}

static inline __attribute__((always_inline)) void panels_rows(const float *a, const float *bp, float *c, int m0, int mb, int n, int K, int ldc, const int MR, const int NB) {
  int np = (n + 15) / 16;
  for (int p0 = 0; p0 < np; p0 += NB) panels_tile(a, bp, c, m0, mb, p0, np, n, K, ldc, MR, NB);
}

/*
 * Register tiles of panels_matmul_bt, MR rows × NB panels, by how many rows are left. With 32
 * registers: 8 × 3 (from 5 rows), 4 × 6, 2 × 12, 1 × 16. With 16, where a v16 takes two, 6 × 1 (from
 * 4 rows; 12 accumulator registers, the shape of the usual AVX2 sgemm kernel), 3 × 2, 2 × 3, 1 × 3:
 * weight vectors are used straight from memory, so only accumulators and broadcasts need registers.
 */
#if V16_REGS >= 32
enum { PANELS_BIG_FROM = 5, PANELS_BIG_MR = 8, PANELS_BIG_NB = 3, PANELS_MID_MR = 4, PANELS_MID_NB = 6, PANELS_TWO_NB = 12, PANELS_ONE_NB = 16 };
#else
enum { PANELS_BIG_FROM = 4, PANELS_BIG_MR = 6, PANELS_BIG_NB = 1, PANELS_MID_MR = 3, PANELS_MID_NB = 2, PANELS_TWO_NB = 3, PANELS_ONE_NB = 3 };
#endif

/* Columns [0, n) of c (row stride ldc) = a[M,K] · bᵀ from b's panels, in blocks of rows. */
static void panels_matmul_bt(const float *a, const float *bp, float *c, int M, int n, int K, int ldc) {
  for (int m0 = 0; m0 < M;) {
    int left = M - m0;
    if (left >= PANELS_BIG_FROM) {
      int mb = left < PANELS_BIG_MR ? left : PANELS_BIG_MR;
      panels_rows(a, bp, c, m0, mb, n, K, ldc, PANELS_BIG_MR, PANELS_BIG_NB);
      m0 += mb;
    } else if (left >= 3) {
      panels_rows(a, bp, c, m0, left, n, K, ldc, PANELS_MID_MR, PANELS_MID_NB);
      m0 += left;
    } else if (left == 2) {
      panels_rows(a, bp, c, m0, 2, n, K, ldc, 2, PANELS_TWO_NB);
      m0 += 2;
    } else {
      panels_rows(a, bp, c, m0, 1, n, K, ldc, 1, PANELS_ONE_NB);
      m0 += 1;
    }
  }
}

/* From SKINNY_MAX_M + 1 up to this many rows, a · bᵀ runs on panel_matmul_bt (measured faster than OpenBLAS there). */
#define PANEL_MAX_M 256

/* A panel tile's accumulators into c: lane l of acc[v][j] is c[16v + l, n0 + j], scattered down the column. */
static inline __attribute__((always_inline)) void store_panel_tile(v16 acc[4][12], float *c, int rows, int n0, int nb, int ldc, const int MV, const int NB) {
  for (int v = 0; v < MV; v++) {
    int m = lanes(16 * v, rows);
    for (int j = 0; j < nb && j < NB; j++) v16_store_column(c + (size_t)16 * v * ldc + n0 + j, ldc, m, acc[v][j]);
  }
}

#if V16_REGS >= 32
/* Rows of a packed per block of panel_matmul_bt. */
#define PANEL_BLOCK 64
/* The register tile for a block of 16·mv rows: MV vectors of rows times NB weight rows (at most 24 accumulators + loads in 32 registers). */
#define PANEL_DISPATCH(mv, rows_fn, ...)                \
  switch (mv) {                                         \
    case 1: rows_fn(__VA_ARGS__, 1, 12); break;         \
    case 2: rows_fn(__VA_ARGS__, 2, 12); break;         \
    case 3: rows_fn(__VA_ARGS__, 3, 8); break;          \
    default: rows_fn(__VA_ARGS__, 4, 6); break;         \
  }
#else
/* With 16 registers holding 8 v16: blocks of 16 rows, one vector of rows times 6 weight rows. */
#define PANEL_BLOCK 16
#define PANEL_DISPATCH(mv, rows_fn, ...) rows_fn(__VA_ARGS__, 1, 6);
#endif

/*
 * One register tile of panel_matmul_bt: MV vectors of 16 rows of a (from the packed panel ap, row k of
 * it holding a[m0.., k]) times NB rows of b, MV·NB accumulators. Each b value is broadcast and used
 * for 16·MV rows; b is read in place (NB row streams), so no packing of the weights is needed.
 * Columns past nb reuse a valid row and are dropped.
 */
static inline __attribute__((always_inline)) void panel_tile(const float *ap, const float *b, float *c, int rows, int n0, int nb, int K, int ldc, const int MV, const int NB) {
  v16 acc[4][12];
  const float *br[12];
  for (int j = 0; j < NB; j++) br[j] = b + (size_t)(n0 + (j < nb ? j : 0)) * K;
  for (int v = 0; v < MV; v++)
    for (int j = 0; j < NB; j++) acc[v][j] = v16_zero();
  for (int k = 0; k < K; k++) {
    v16 av[4];
    for (int v = 0; v < MV; v++) av[v] = v16_load(ap + (size_t)k * 16 * MV + 16 * v);
    for (int j = 0; j < NB; j++) {
      v16 bj = v16_set1(br[j][k]);
      for (int v = 0; v < MV; v++) acc[v][j] = v16_fmadd(av[v], bj, acc[v][j]);
    }
  }
  store_panel_tile(acc, c, rows, n0, nb, ldc, MV, NB);
}

/* All column tiles of one row block (rows <= 16·MV) for columns [0, N) of c. */
static inline __attribute__((always_inline)) void panel_rows(const float *ap, const float *b, float *c, int rows, int N, int K, int ldc, const int MV, const int NB) {
  for (int n0 = 0; n0 < N; n0 += NB) panel_tile(ap, b, c, rows, n0, N - n0 < NB ? N - n0 : NB, K, ldc, MV, NB);
}

/*
 * a · bᵀ for tens of rows of a (a prefill, a ViT's patches, a large verify tree), into c with row
 * stride ldc. Blocks of up to PANEL_BLOCK rows of a are packed transposed (k-major, zero-padded to whole
 * vectors) and multiplied against b read in place: near the FMA peak without touching b twice per block.
 */
static int panel_matmul_bt(const float *a, const float *b, float *c, int M, int N, int K, int ldc) {
  float *ap = aligned_alloc(64, sizeof(float) * (size_t)K * PANEL_BLOCK + 64);
  if (!ap) return -1;
  for (int m0 = 0; m0 < M; m0 += PANEL_BLOCK) {
    int rows = M - m0 < PANEL_BLOCK ? M - m0 : PANEL_BLOCK, mv = (rows + 15) / 16, w = 16 * mv;
    for (int k = 0; k < K; k++)
      for (int i = 0; i < w; i++) ap[(size_t)k * w + i] = i < rows ? a[(size_t)(m0 + i) * K + k] : 0.0f;
    float *cb = c + (size_t)m0 * ldc;
    PANEL_DISPATCH(mv, panel_rows, ap, b, cb, rows, N, K, ldc)
  }
  free(ap);
  return 0;
}

/* Multiply-adds below which a product runs on one thread: forking costs more than it saves. */
#define PAR_MIN_FLOPS (1 << 16)

/* This OpenMP thread's share [n0, n1) of N output columns: equal chunks in whole vectors of 16. */
static inline void thread_columns(int N, int *n0, int *n1) {
  int nt = omp_get_num_threads(), id = omp_get_thread_num();
  int chunk = ((N + nt - 1) / nt + 15) & ~15;
  *n0 = id * chunk;
  *n1 = *n0 + chunk < N ? *n0 + chunk : N;
}

/* Round-to-nearest-even f32 -> bf16 bits; a NaN becomes the quiet NaN of its sign. */
static inline uint32_t bf16_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return ((u >> 16) & 0x8000u) | 0x7fc0u;
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

#ifdef __AVX512BF16__
/*
 * One register tile of bf16_panel_rows: like panel_tile, but each 32-bit lane of the packed panel holds
 * one row's pair (k, k+1) and vdpbf16ps multiplies it by the broadcast pair of a weight row: 32
 * multiply-adds per instruction instead of 16.
 */
static inline __attribute__((always_inline)) void bf16_panel_tile(const uint32_t *ap, const uint16_t *b, float *c, int rows, int n0, int nb, int K, int ldc, const int MV, const int NB) {
  v16 acc[4][12];
  const uint16_t *br[12];
  for (int j = 0; j < NB; j++) br[j] = b + (size_t)(n0 + (j < nb ? j : 0)) * K;
  for (int v = 0; v < MV; v++)
    for (int j = 0; j < NB; j++) acc[v][j] = v16_zero();
  for (int k2 = 0; k2 < K / 2; k2++) {
    __m512bh av[4];
    for (int v = 0; v < MV; v++) av[v] = (__m512bh)_mm512_load_si512(ap + (size_t)k2 * 16 * MV + 16 * v);
    for (int j = 0; j < NB; j++) {
      uint32_t pair;
      memcpy(&pair, br[j] + 2 * k2, 4);
      __m512bh bj = (__m512bh)_mm512_set1_epi32((int)pair);
      for (int v = 0; v < MV; v++) acc[v][j] = _mm512_dpbf16_ps(acc[v][j], av[v], bj);
    }
  }
  store_panel_tile(acc, c, rows, n0, nb, ldc, MV, NB);
}

static inline __attribute__((always_inline)) void bf16_panel_rows(const uint32_t *ap, const uint16_t *b, float *c, int rows, int N, int K, int ldc, const int MV, const int NB) {
  for (int n0 = 0; n0 < N; n0 += NB) bf16_panel_tile(ap, b, c, rows, n0, N - n0 < NB ? N - n0 : NB, K, ldc, MV, NB);
}

/* Columns [0, N) of c = bf16(a) · bᵀ for an even K: blocks of 64 rows of a, packed as bf16 pairs (k-pair-major). */
static int bf16_panel_matmul_bt(const float *a, const uint16_t *b, float *c, int M, int N, int K, int ldc) {
  uint32_t *ap = aligned_alloc(64, sizeof(uint32_t) * (size_t)(K / 2) * 64 + 64);
  if (!ap) return -1;
  for (int m0 = 0; m0 < M; m0 += 64) {
    int rows = M - m0 < 64 ? M - m0 : 64, mv = (rows + 15) / 16, w = 16 * mv;
    for (int k2 = 0; k2 < K / 2; k2++)
      for (int i = 0; i < w; i++) {
        const float *ar = a + (size_t)(m0 + i) * K + 2 * k2;
        ap[(size_t)k2 * w + i] = i < rows ? bf16_bits(ar[0]) | bf16_bits(ar[1]) << 16 : 0;
      }
    float *cb = c + (size_t)m0 * ldc;
    PANEL_DISPATCH(mv, bf16_panel_rows, ap, b, cb, rows, N, K, ldc)
  }
  free(ap);
  return 0;
}
#endif

/* Columns [0, N) of c = bf16(a) · bᵀ without AVX512_BF16 (or for an odd K): the same products, one at a time. */
static void bf16_plain_matmul_bt(const float *a, const uint16_t *b, float *c, int M, int N, int K, int ldc) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) {
        uint32_t x = bf16_bits(a[(size_t)i * K + k]) << 16, w = (uint32_t)b[(size_t)j * K + k] << 16;
        float xf, wf;
        memcpy(&xf, &x, 4);
        memcpy(&wf, &w, 4);
        s += xf * wf;
      }
      c[(size_t)i * ldc + j] = s;
    }
}

int sv_bf16_fast(void) {
#ifdef __AVX512BF16__
  return 1;
#else
  return 0;
#endif
}

/*
 * c[M,N] = bf16(a) · bᵀ with b [N,K] in bf16 bits, accumulated in f32. Threads split the columns as in
 * sv_matmul. With AVX512_BF16 it runs at twice the f32 FMA rate: the products of many rows (a ViT's
 * patches, a prefill) are compute-bound, so this halves their cost.
 */
int sv_matmul_bf16(const float *a, const uint16_t *b, float *c, int M, int N, int K) {
  int failed = 0;
#pragma omp parallel if ((double)M * N * K >= PAR_MIN_FLOPS && N >= 64) reduction(| : failed)
  {
    int n0, n1;
    thread_columns(N, &n0, &n1);
    if (n1 > n0) {
#ifdef __AVX512BF16__
      if (K % 2 == 0)
        failed |= bf16_panel_matmul_bt(a, b + (size_t)n0 * K, c + n0, M, n1 - n0, K, N) != 0;
      else
#endif
        bf16_plain_matmul_bt(a, b + (size_t)n0 * K, c + n0, M, n1 - n0, K, N);
    }
  }
  return failed ? -1 : 0;
}

/* b [N,K] into column panels (see panels_tile) in a new 64-byte aligned buffer of ceil(N/16)·16·K floats; NULL when out of memory. */
float *sv_pack_panels(const float *b, int N, int K) {
  size_t np = (size_t)(N + 15) / 16;
  float *bp = aligned_alloc(64, sizeof(float) * np * 16 * (size_t)K);
  if (!bp) return NULL;
  for (size_t p = 0; p < np; p++)
    for (int k = 0; k < K; k++)
      for (int j = 0; j < 16; j++) {
        size_t n = 16 * p + j;
        bp[(p * K + k) * 16 + j] = n < (size_t)N ? b[n * K + k] : 0.0f;
      }
  return bp;
}

/* Bytes of weight panels one pass over the rows of a works on: they stay in L2 while every row block uses them. */
#define PANELS_CHUNK_BYTES (128 << 10)

/*
 * panels_matmul_bt over column chunks when there is more than one block of rows: each chunk's panels
 * are read from memory once, not once per row block. A chunk holds whole tiles (at least four), so
 * large K gives chunks past L2 rather than tiles with panels left empty; one block of rows (a decode
 * step, a small tree) streams every panel once anyway and is not split.
 */
static void panels_matmul_bt_chunked(const float *a, const float *bp, float *c, int M, int n, int K, int ldc) {
  int tiles = (int)(PANELS_CHUNK_BYTES / ((size_t)64 * K * PANELS_BIG_NB));
  int chunk = 16 * PANELS_BIG_NB * (tiles > 4 ? tiles : 4);
  if (M <= PANELS_BIG_MR) chunk = n;
  for (int j0 = 0; j0 < n; j0 += chunk)
    panels_matmul_bt(a, bp + (size_t)j0 * K, c + j0, M, n - j0 < chunk ? n - j0 : chunk, K, ldc);
}

/* c[M,N] = a · bᵀ with b given as column panels (panels_matmul_bt); threads split the columns in whole panels. */
void sv_matmul_panels(const float *a, const float *bp, float *c, int M, int N, int K) {
#pragma omp parallel if ((double)M * N * K >= PAR_MIN_FLOPS && N >= 64)
  {
    int n0, n1;
    thread_columns(N, &n0, &n1);
    if (n1 > n0) panels_matmul_bt_chunked(a, bp + (size_t)(n0 / 16) * K * 16, c + n0, M, n1 - n0, K, N);
  }
}

/* Columns [n0, n1) of c = a · b (or a · bᵀ): one thread's share of a product. */
static void matmul_slice(const float *a, const float *b, float *c, int M, int N, int K, int transB, int n0, int n1) {
  int n = n1 - n0;
  if (n <= 0) return;
  if (transB && M > 1 && M <= SKINNY_MAX_M) {
    skinny_matmul_bt(a, b + (size_t)n0 * K, c + n0, M, n, K, N);
  } else if (transB && M > SKINNY_MAX_M && M <= PANEL_MAX_M && panel_matmul_bt(a, b + (size_t)n0 * K, c + n0, M, n, K, N) == 0) {
    return;
  } else if (M == 1) {
    /* One row: a matrix-vector product streams the weights once; gemm's packing would double the traffic. */
    if (transB) cblas_sgemv(CblasRowMajor, CblasNoTrans, n, K, 1.0f, b + (size_t)n0 * K, K, a, 1, 0.0f, c + n0, 1);
    else cblas_sgemv(CblasRowMajor, CblasTrans, K, n, 1.0f, b + n0, N, a, 1, 0.0f, c + n0, 1);
  } else if (transB) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, n, K, 1.0f, a, K, b + (size_t)n0 * K, K, 0.0f, c + n0, N);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, n, K, 1.0f, a, K, b + n0, N, 0.0f, c + n0, N);
  }
}

/*
 * Threads split the output columns (the weight rows of x·Wᵀ), each calling single-threaded OpenBLAS
 * on its slice. One thread pool for everything: OpenBLAS's own threads spinning beside OpenMP's
 * would oversubscribe the cores and stall both.
 */
void sv_matmul(const float *a, const float *b, float *c, int M, int N, int K, int transB) {
  if ((double)M * N * K < PAR_MIN_FLOPS || N < 64) {
    matmul_slice(a, b, c, M, N, K, transB, 0, N);
    return;
  }
#pragma omp parallel
  {
    int n0, n1;
    thread_columns(N, &n0, &n1);
    matmul_slice(a, b, c, M, N, K, transB, n0, n1);
  }
}

void sv_matmul_trans_a(const float *a, const float *b, float *c, int M, int N, int K) {
  if ((double)M * N * K < PAR_MIN_FLOPS || N < 64) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, a, M, b, N, 0.0f, c, N);
    return;
  }
#pragma omp parallel
  {
    int n0, n1;
    thread_columns(N, &n0, &n1);
    if (n1 > n0) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, n1 - n0, K, 1.0f, a, M, b + n0, N, 0.0f, c + n0, N);
  }
}

/*
 * One axis of a separable resampling of 3-channel pixels (see the Kernels interface). When the lines
 * are neighbouring pixels (a vertical pass over an interleaved image), each tap is one contiguous
 * multiply-add over all lines; otherwise each output sample is a short dot product along its line.
 */
void sv_resample(const float *src, float *out, int lines, int lineIn, int lineOut, int stepIn, int stepOut, const int32_t *first, int m, const float *weights, int taps) {
  if (lineIn == 3 && lineOut == 3) {
    for (int j = 0; j < m; j++) {
      float *o = out + (size_t)j * stepOut;
      memset(o, 0, sizeof(float) * 3 * (size_t)lines);
      for (int k = 0; k < taps; k++) {
        float w = weights[(size_t)j * taps + k];
        const float *s = src + (size_t)(first[j] + k) * stepIn;
        for (int i = 0; i < 3 * lines; i++) o[i] += w * s[i];
      }
    }
    return;
  }
  for (int line = 0; line < lines; line++)
    for (int j = 0; j < m; j++) {
      const float *s = src + (size_t)line * lineIn + (size_t)first[j] * stepIn;
      const float *w = weights + (size_t)j * taps;
      float s0 = 0, s1 = 0, s2 = 0;
      for (int k = 0; k < taps; k++, s += stepIn) {
        s0 += w[k] * s[0];
        s1 += w[k] * s[1];
        s2 += w[k] * s[2];
      }
      float *o = out + (size_t)line * lineOut + (size_t)j * stepOut;
      o[0] = s0;
      o[1] = s1;
      o[2] = s2;
    }
}

void sv_add(const float *a, size_t n, const float *b, size_t nb, float *out) {
  if (nb == n) {
#pragma omp parallel for if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
    return;
  }
  size_t rows = n / nb;
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < nb; j++) out[r * nb + j] = a[r * nb + j] + b[j];
}

void sv_mul(const float *a, size_t n, const float *b, size_t nb, float *out) {
  if (nb == n) {
#pragma omp parallel for if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
    return;
  }
  size_t rows = n / nb;
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < nb; j++) out[r * nb + j] = a[r * nb + j] * b[j];
}

void sv_scale(const float *a, size_t n, float s, float *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) out[i] = a[i] * s;
}

/*
 * Σ (x[j] - shift)^p for p = 1 or 2, in float64 over eight interleaved partial sums: one running sum
 * waits out the latency of every add (a row of 256 took ~1000 cycles), eight overlap.
 */
static double row_sum(const float *x, int n, double shift, int p) {
  double s[8] = {0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) {
      double d = x[j + l] - shift;
      s[l] += p == 2 ? d * d : d;
    }
  for (; j < n; j++) {
    double d = x[j] - shift;
    s[0] += p == 2 ? d * d : d;
  }
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* 1 / RMS of a row with eps: rmsNorm's scale (forward and backward share it). */
static double rms_inv(const float *xr, int cols, float eps) {
  return 1.0 / sqrt(row_sum(xr, cols, 0, 2) / cols + eps);
}

/* A row's mean (into *mean) and 1 / std with eps: layerNorm's statistics. */
static double mean_inv(const float *xr, int cols, float eps, double *mean) {
  double m = row_sum(xr, cols, 0, 1) / cols;
  *mean = m;
  return 1.0 / sqrt(row_sum(xr, cols, m, 2) / cols + eps);
}

void sv_rms_norm(const float *x, const float *w, float *out, int rows, int cols, float eps) {
#pragma omp parallel for if ((size_t)rows * cols >= PAR_MIN)
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    float *o = out + (size_t)r * cols;
    float inv = (float)rms_inv(xr, cols, eps);
    for (int j = 0; j < cols; j++) o[j] = xr[j] * inv * w[j];
  }
}

void sv_layer_norm(const float *x, const float *w, const float *b, float *out, int rows, int cols, float eps) {
#pragma omp parallel for if ((size_t)rows * cols >= PAR_MIN)
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    float *o = out + (size_t)r * cols;
    double mean;
    float inv = (float)mean_inv(xr, cols, eps, &mean);
    float m = (float)mean;
    for (int j = 0; j < cols; j++) o[j] = (xr[j] - m) * inv * w[j] + b[j];
  }
}

/* dx row-parallel; dw (and db) column-parallel from each row's saved statistics: no reduction across threads. */
void sv_rms_norm_grad(const float *x, const float *w, const float *g, float *dx, float *dw, int rows, int cols, float eps) {
  double *inv = malloc(sizeof(double) * (size_t)(rows > 0 ? rows : 1));
#pragma omp parallel for if ((size_t)rows * cols >= PAR_MIN)
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols, *gr = g + (size_t)r * cols;
    double dot = 0;
    inv[r] = rms_inv(xr, cols, eps);
    for (int j = 0; j < cols; j++) dot += (double)gr[j] * w[j] * xr[j];
    double c = inv[r] * inv[r] * inv[r] * dot / cols;
    for (int j = 0; j < cols; j++) dx[(size_t)r * cols + j] = (float)(gr[j] * w[j] * inv[r] - xr[j] * c);
  }
#pragma omp parallel for if ((size_t)rows * cols >= PAR_MIN)
  for (int j = 0; j < cols; j++) {
    double acc = 0;
    for (int r = 0; r < rows; r++) acc += (double)g[(size_t)r * cols + j] * x[(size_t)r * cols + j] * inv[r];
    dw[j] = (float)acc;
  }
  free(inv);
}

void sv_layer_norm_grad(const float *x, const float *w, const float *g, float *dx, float *dw, float *db, int rows, int cols, float eps) {
  double *stats = malloc(sizeof(double) * 2 * (size_t)(rows > 0 ? rows : 1)); /* mean, inv per row */
#pragma omp parallel for if ((size_t)rows * cols >= PAR_MIN)
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols, *gr = g + (size_t)r * cols;
    double mean, sumG = 0, sumGX = 0;
    double inv = mean_inv(xr, cols, eps, &mean);
    stats[2 * r] = mean;
    stats[2 * r + 1] = inv;
    for (int j = 0; j < cols; j++) {
      double gw = (double)gr[j] * w[j];
      sumG += gw;
      sumGX += gw * (xr[j] - mean) * inv;
    }
    for (int j = 0; j < cols; j++) {
      double xhat = (xr[j] - mean) * inv;
      dx[(size_t)r * cols + j] = (float)(inv * ((double)gr[j] * w[j] - sumG / cols - xhat * sumGX / cols));
    }
  }
#pragma omp parallel for if ((size_t)rows * cols >= PAR_MIN)
  for (int j = 0; j < cols; j++) {
    double aw = 0, ab = 0;
    for (int r = 0; r < rows; r++) {
      double gv = g[(size_t)r * cols + j];
      aw += gv * (x[(size_t)r * cols + j] - stats[2 * r]) * stats[2 * r + 1];
      ab += gv;
    }
    dw[j] = (float)aw;
    db[j] = (float)ab;
  }
  free(stats);
}

/*
 * cos and sin of pos·theta^(-2i/headDim) for positions 0..rope_rows-1, in double as computed before the
 * table existed (so results are bit-identical); every layer's q and k at a position share them.
 * Grows on demand; called from the addon's one JS thread only.
 */
static double *rope_table = NULL;
static int rope_rows = 0, rope_half = 0;
static double rope_theta = 0;

static const double *rope_angles(int maxPos, int headDim, double theta) {
  int half = headDim / 2;
  if (half != rope_half || theta != rope_theta) rope_rows = 0;
  if (maxPos < rope_rows) return rope_table;
  int rows = maxPos + 1 > 2 * rope_rows ? maxPos + 1 : 2 * rope_rows;
  double *t = realloc(rope_table, sizeof(double) * 2 * (size_t)rows * (half > 0 ? half : 1));
  if (!t) return NULL;
  for (int p = rope_rows; p < rows; p++)
    for (int i = 0; i < half; i++) {
      double angle = p * pow(theta, (-2.0 * i) / headDim);
      t[2 * ((size_t)p * half + i)] = cos(angle);
      t[2 * ((size_t)p * half + i) + 1] = sin(angle);
    }
  rope_table = t, rope_rows = rows, rope_half = half, rope_theta = theta;
  return t;
}

void sv_rope(const float *x, const int32_t *pos, float *out, int T, int nHeads, int headDim, double theta) {
  int half = headDim / 2, width = nHeads * headDim, maxPos = 0, minPos = 0;
  for (int t = 0; t < T; t++) {
    maxPos = pos[t] > maxPos ? pos[t] : maxPos;
    minPos = pos[t] < minPos ? pos[t] : minPos;
  }
  /* Negative positions (the backward pass rotates back) and huge ones are computed directly. */
  const double *table = minPos >= 0 && maxPos < (1 << 20) ? rope_angles(maxPos, headDim, theta) : NULL;
  for (int t = 0; t < T; t++) {
    for (int i = 0; i < half; i++) {
      double cs, sn;
      if (table) {
        cs = table[2 * ((size_t)pos[t] * half + i)], sn = table[2 * ((size_t)pos[t] * half + i) + 1];
      } else {
        double angle = pos[t] * pow(theta, (-2.0 * i) / headDim);
        cs = cos(angle), sn = sin(angle);
      }
      for (int h = 0; h < nHeads; h++) {
        size_t p = (size_t)t * width + (size_t)h * headDim + i;
        double x1 = x[p], x2 = x[p + half];
        out[p] = (float)(x1 * cs - x2 * sn);
        out[p + half] = (float)(x2 * cs + x1 * sn);
      }
    }
  }
}

/*
 * e^(hi + lo) for 16 lanes, hi + lo within about [-87, 88]: Cody-Waite reduction by n·ln2 (n·LN2_HI is
 * exact, so hi - n·LN2_HI loses nothing even when hi is large), a degree-7 Taylor polynomial on
 * |r| <= ln2/2 (truncation under 1e-8 relative), then a scale by 2^n. lo carries what does not fit in
 * hi (e.g. the rounding error of a square), so callers keep their full precision. Below -87.5 gives 0,
 * above 88.5 infinity.
 */
static inline v16 exp_sum16(v16 hi, v16 lo) {
  const v16 ln2_hi = v16_set1(0.693359375f), ln2_lo = v16_set1(-2.12194440e-4f);
  v16 x = v16_add(hi, lo);
  v16mask under = v16_lt(x, v16_set1(-87.5f));
  v16mask over = v16_gt(x, v16_set1(88.5f));
  hi = v16_blend(v16_or(under, over), hi, v16_zero());
  lo = v16_blend(v16_or(under, over), lo, v16_zero());
  x = v16_add(hi, lo);
  v16 n = v16_round(v16_mul(x, v16_set1(1.44269504088896341f)));
  v16 r = v16_fnmadd(n, ln2_hi, hi);
  r = v16_add(r, lo);
  r = v16_fnmadd(n, ln2_lo, r);
  v16 p = v16_set1(1.0f / 5040);
  p = v16_fmadd(p, r, v16_set1(1.0f / 720));
  p = v16_fmadd(p, r, v16_set1(1.0f / 120));
  p = v16_fmadd(p, r, v16_set1(1.0f / 24));
  p = v16_fmadd(p, r, v16_set1(1.0f / 6));
  p = v16_fmadd(p, r, v16_set1(0.5f));
  p = v16_fmadd(p, r, v16_set1(1.0f));
  p = v16_fmadd(p, r, v16_set1(1.0f));
  v16 e = v16_scale2(p, n);
  e = v16_blend(under, e, v16_zero());
  return v16_blend(over, e, v16_set1(INFINITY));
}

/* v / (1 + e^-v) for 16 lanes: silu and swiglu share it, so swiglu gives silu's bits. */
static inline v16 silu16(v16 v) {
  return v16_div(v, v16_add(v16_set1(1.0f), exp_sum16(v16_sub(v16_zero(), v), v16_zero())));
}

void sv_silu(const float *x, size_t n, float *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i += 16) {
    int m = lanes(i, n);
    v16_store_n(out + i, m, silu16(v16_load_n(x + i, m)));
  }
}

/* silu(gate) · up, rounded as silu then mul are: the same bits as those two kernels, in one pass. */
void sv_swiglu(const float *gate, const float *up, size_t n, float *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i += 16) {
    int m = lanes(i, n);
    v16_store_n(out + i, m, v16_mul(silu16(v16_load_n(gate + i, m)), v16_load_n(up + i, m)));
  }
}

void sv_gelu_tanh(const float *x, size_t n, float *out) {
  const float c = 0.7978845608028654f; /* sqrt(2/pi) */
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float v = x[i];
    /* 0.5·v·(1 + tanh(u)) written as v·sigmoid(2u): the same function, without cancellation for v << 0;
       2u in double, whose float rounding alone would cost 1e-5 of relative precision at v = -9. */
    out[i] = (float)(v / (1.0 + exp(-2.0 * c * (v + 0.044715 * (double)v * v * v))));
  }
}

void sv_silu_grad(const float *x, const float *g, size_t n, float *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float s = 1.0f / (1.0f + expf(-x[i]));
    out[i] = g[i] * s * (1.0f + x[i] * (1.0f - s));
  }
}

void sv_gelu_tanh_grad(const float *x, const float *g, size_t n, float *out) {
  const float c = 0.7978845608028654f;
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float v = x[i];
    /* 0.5·(1 + tanh u) = s and 1 - tanh² u = 4s(1 - s) with s = sigmoid(2u): no cancellation for v << 0. */
    float s = 1.0f / (1.0f + expf(-2.0f * c * (v + 0.044715f * v * v * v)));
    out[i] = g[i] * (s + 2.0f * v * s * (1.0f - s) * c * (1.0f + 3.0f * 0.044715f * v * v));
  }
}

void sv_gelu_erf_grad(const float *x, const float *g, size_t n, float *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float v = x[i];
    out[i] = g[i] * (0.5f * erfcf(-v * 0.70710678118654752f) + v * expf(-0.5f * v * v) * 0.3989422804014327f);
  }
}

/*
 * 0.5·x·erfc(-x/√2), with erfc(z) for z = |x|/√2 as t·e^(-z² + P(t)), t = 1 / (1 + z/2) (the
 * Chebyshev fit of Numerical Recipes' erfcc: under 1.2e-7 relative error for every z >= 0); z² goes
 * into the exponential as an exact hi + lo pair. For x >= 0, erfc(-z) = 2 - erfc(z).
 */
void sv_gelu_erf(const float *x, size_t n, float *out) {
  static const float c[10] = {-1.26551223f, 1.00002368f, 0.37409196f, 0.09678418f, -0.18628806f,
                              0.27886807f, -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f};
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i += 16) {
    int m = lanes(i, n);
    v16 v = v16_load_n(x + i, m);
    v16 z = v16_mul(v16_abs(v), v16_set1(0.70710678118654752f));
    v16 t = v16_div(v16_set1(1.0f), v16_fmadd(z, v16_set1(0.5f), v16_set1(1.0f)));
    v16 p = v16_set1(c[9]);
    for (int j = 8; j >= 0; j--) p = v16_fmadd(p, t, v16_set1(c[j]));
    /* z² = x²/2 from x itself: rounding z first would cost 1e-5 of relative precision at |x| = 12. */
    v16 xx = v16_mul(v, v);
    v16 zz = v16_mul(xx, v16_set1(0.5f));
    v16 zzLo = v16_mul(v16_fmsub(v, v, xx), v16_set1(0.5f));
    v16 e = v16_mul(t, exp_sum16(v16_sub(v16_zero(), zz), v16_sub(p, zzLo)));
    e = v16_blend(v16_ge(v, v16_zero()), e, v16_sub(v16_set1(2.0f), e));
    v16_store_n(out + i, m, v16_mul(v16_mul(v16_set1(0.5f), v), e));
  }
}

/* One row of softmax in place semantics (x may equal out); an all -inf row gives zeros. */
static void softmax_row(const float *x, float *out, int cols) {
  v16 vmax = v16_set1(-INFINITY);
  for (int j = 0; j < cols; j += 16) vmax = v16_max(vmax, v16_load_n_or(x + j, lanes(j, cols), -INFINITY));
  float max = v16_reduce_max(vmax);
  if (max == -INFINITY) {
    memset(out, 0, sizeof(float) * (size_t)cols);
    return;
  }
  v16 sum = v16_zero(), vm = v16_set1(max);
  for (int j = 0; j < cols; j += 16) {
    int m = lanes(j, cols);
    v16 e = v16_keep_n(exp_sum16(v16_sub(v16_load_n(x + j, m), vm), v16_zero()), m);
    v16_store_n(out + j, m, e);
    sum = v16_add(sum, e);
  }
  v16 inv = v16_set1(1.0f / v16_reduce_add(sum));
  for (int j = 0; j < cols; j += 16) {
    int m = lanes(j, cols);
    v16_store_n(out + j, m, v16_mul(v16_load_n(out + j, m), inv));
  }
}

void sv_softmax(const float *x, float *out, int rows, int cols) {
#pragma omp parallel for if ((size_t)rows * cols >= PAR_MIN)
  for (int r = 0; r < rows; r++) softmax_row(x + (size_t)r * cols, out + (size_t)r * cols, cols);
}

/*
 * One head's attention weights p[T, S] = softmax(q_h k_hᵀ / √headDim + mask) per row. The head's
 * columns are read in place through the leading dimensions (qWidth, kvWidth).
 */
static void attention_weights(const float *qh, const float *kh, const float *mask, float *p, int T, int S, int qWidth,
                              int kvWidth, int headDim) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, headDim, 1.0f / sqrtf((float)headDim), qh, qWidth, kh,
              kvWidth, 0.0f, p, S);
  for (int t = 0; t < T; t++) {
    float *row = p + (size_t)t * S;
    if (mask)
      for (int s = 0; s < S; s++) row[s] += mask[(size_t)t * S + s];
    softmax_row(row, row, S);
  }
}

/* One head of attention: the weights, then out_h = weights · v_h. */
static void attention_head(const float *q, const float *k, const float *v, const float *mask, float *out, float *scores,
                           int h, int T, int S, int nHeads, int nKvHeads, int headDim) {
  int group = nHeads / nKvHeads, qWidth = nHeads * headDim, kvWidth = nKvHeads * headDim;
  const float *qh = q + (size_t)h * headDim;
  const float *kh = k + (size_t)(h / group) * headDim;
  const float *vh = v + (size_t)(h / group) * headDim;
  attention_weights(qh, kh, mask, scores, T, S, qWidth, kvWidth, headDim);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, headDim, S, 1.0f, scores, S, vh, kvWidth, 0.0f,
              out + (size_t)h * headDim, qWidth);
}

int sv_attention(const float *q, const float *k, const float *v, const float *mask, float *out,
                 int T, int S, int nHeads, int nKvHeads, int headDim) {
  int failed = 0;
  /* Heads run in parallel, each thread with its own scores buffer. */
#pragma omp parallel if ((double)T * S * headDim * nHeads >= PAR_MIN_FLOPS) reduction(| : failed)
  {
    float *scores = malloc(sizeof(float) * (size_t)T * (S > 0 ? S : 1));
    failed = scores == NULL;
#pragma omp for schedule(static)
    for (int h = 0; h < nHeads; h++)
      if (scores) attention_head(q, k, v, mask, out, scores, h, T, S, nHeads, nKvHeads, headDim);
    free(scores);
  }
  return failed ? -1 : 0;
}

/*
 * attention's backward for the query heads sharing kv head `kvh`: their weights P are recomputed,
 * dV_kv += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP - rowsum(P ⊙ dP))·scale, dQ_h = dS·K, dK_kv += dSᵀ·Q_h.
 * One thread owns a kv head, so the accumulations into dK and dV never race.
 */
static void attention_grad_kv_head(const float *q, const float *k, const float *v, const float *mask, const float *g,
                                   float *dq, float *dk, float *dv, float *p, float *dp, int kvh, int T, int S,
                                   int nHeads, int nKvHeads, int headDim) {
  int group = nHeads / nKvHeads, qWidth = nHeads * headDim, kvWidth = nKvHeads * headDim;
  float scale = 1.0f / sqrtf((float)headDim);
  const float *kh = k + (size_t)kvh * headDim;
  const float *vh = v + (size_t)kvh * headDim;
  float *dkh = dk + (size_t)kvh * headDim;
  float *dvh = dv + (size_t)kvh * headDim;
  for (int h = kvh * group; h < (kvh + 1) * group; h++) {
    const float *qh = q + (size_t)h * headDim;
    const float *gh = g + (size_t)h * headDim;
    attention_weights(qh, kh, mask, p, T, S, qWidth, kvWidth, headDim);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, headDim, T, 1.0f, p, S, gh, qWidth, 1.0f, dvh, kvWidth);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, headDim, 1.0f, gh, qWidth, vh, kvWidth, 0.0f, dp, S);
    for (int t = 0; t < T; t++) {
      float *pr = p + (size_t)t * S, *dr = dp + (size_t)t * S;
      float dot = 0.0f;
      for (int s = 0; s < S; s++) dot += pr[s] * dr[s];
      for (int s = 0; s < S; s++) dr[s] = pr[s] * (dr[s] - dot) * scale;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, headDim, S, 1.0f, dp, S, kh, kvWidth, 0.0f,
                dq + (size_t)h * headDim, qWidth);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, headDim, T, 1.0f, dp, S, qh, qWidth, 1.0f, dkh, kvWidth);
  }
}

int sv_attention_grad(const float *q, const float *k, const float *v, const float *mask, const float *g, float *dq,
                      float *dk, float *dv, int T, int S, int nHeads, int nKvHeads, int headDim) {
  memset(dk, 0, sizeof(float) * (size_t)S * nKvHeads * headDim);
  memset(dv, 0, sizeof(float) * (size_t)S * nKvHeads * headDim);
  int failed = 0;
#pragma omp parallel if ((double)T * S * headDim * nHeads * 4 >= PAR_MIN_FLOPS && nKvHeads > 1) reduction(| : failed)
  {
    float *p = malloc(sizeof(float) * (size_t)T * (S > 0 ? S : 1) * 2);
    failed = p == NULL;
#pragma omp for schedule(static)
    for (int kvh = 0; kvh < nKvHeads; kvh++)
      if (p) attention_grad_kv_head(q, k, v, mask, g, dq, dk, dv, p, p + (size_t)T * (S > 0 ? S : 1), kvh, T, S, nHeads, nKvHeads, headDim);
    free(p);
  }
  return failed ? -1 : 0;
}

void sv_embedding(const float *table, const int32_t *ids, size_t n, float *out, int dim) {
  for (size_t i = 0; i < n; i++) memcpy(out + i * dim, table + (size_t)ids[i] * dim, sizeof(float) * (size_t)dim);
}

void sv_argmax(const float *x, int rows, int cols, int32_t *out) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    int best = 0;
    for (int j = 1; j < cols; j++)
      if (xr[j] > xr[best]) best = j;
    out[r] = best;
  }
}

/* Insertion into a sorted list of k: O(n·k), right for the small k of a draft tree. */
void sv_topk(const float *x, size_t n, int k, int32_t *idx, float *val) {
  int filled = 0;
  for (size_t i = 0; i < n && k > 0; i++) {
    float xi = x[i];
    if (filled == k && !(xi > val[k - 1])) continue;
    int p = filled < k ? filled : k - 1;
    while (p > 0 && xi > val[p - 1]) {
      val[p] = val[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    val[p] = xi;
    idx[p] = (int32_t)i;
    if (filled < k) filled++;
  }
}

void sv_bf16_to_f32(const uint16_t *src, size_t n, float *out) {
  uint32_t *o = (uint32_t *)out;
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) o[i] = (uint32_t)src[i] << 16;
}

void sv_f16_to_f32(const uint16_t *src, size_t n, float *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) out[i] = _cvtsh_ss(src[i]);
}

void sv_f32_to_bf16(const float *src, size_t n, uint16_t *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) out[i] = (uint16_t)bf16_bits(src[i]);
}

void sv_f32_to_f16(const float *src, size_t n, uint16_t *out) {
#pragma omp parallel for if (n >= PAR_MIN)
  for (size_t i = 0; i < n; i++) out[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double sv_blas_sgemm_seconds(int M, int N, int K, int iters) {
  float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)N * K),
        *c = malloc(sizeof(float) * (size_t)M * N);
  if (!a || !b || !c) {
    free(a), free(b), free(c);
    return -1;
  }
  for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  for (size_t i = 0; i < (size_t)N * K; i++) b[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
  double best = INFINITY;
  openblas_set_num_threads(omp_get_max_threads());
  for (int it = 0; it <= iters; it++) {
    double t0 = now_seconds();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
    double dt = now_seconds() - t0;
    if (it > 0 && dt < best) best = dt; /* the first call is a warm-up */
  }
  openblas_set_num_threads(1);
  free(a), free(b), free(c);
  return best;
}

/* Sum of a float buffer with 8 independent vector accumulators, so the loop waits on memory, not on add latency. */
static float stream_sum(const float *buf, size_t n) {
  __m256 acc[8];
  for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int j = 0; j < 8; j++) acc[j] = _mm256_add_ps(acc[j], _mm256_loadu_ps(buf + i + 8 * j));
  float lanes[8], total = 0;
  for (int j = 1; j < 8; j++) acc[0] = _mm256_add_ps(acc[0], acc[j]);
  _mm256_storeu_ps(lanes, acc[0]);
  for (int j = 0; j < 8; j++) total += lanes[j];
  for (; i < n; i++) total += buf[i];
  return total;
}

/* Best wall time of `iters` runs of fn(ctx); what fn returns is kept so the work cannot be optimized away. */
static double best_seconds(float (*fn)(void *), void *ctx, int iters) {
  double best = INFINITY;
  volatile float sink = 0;
  for (int it = 0; it < iters; it++) {
    double t0 = now_seconds();
    sink += fn(ctx);
    double dt = now_seconds() - t0;
    if (dt < best) best = dt;
  }
  (void)sink;
  return best;
}

typedef struct {
  const float *buf;
  size_t n;
} stream_job;

/* Every thread sums its contiguous share of the buffer. */
static float parallel_stream_sum(void *ctx) {
  const stream_job *job = ctx;
  float total = 0;
#pragma omp parallel reduction(+ : total)
  {
    int nt = omp_get_num_threads(), id = omp_get_thread_num();
    size_t chunk = (job->n / nt + 63) & ~(size_t)63, lo = chunk * id, hi = lo + chunk < job->n ? lo + chunk : job->n;
    if (lo < hi) total += stream_sum(job->buf + lo, hi - lo);
  }
  return total;
}

double sv_read_bandwidth(size_t bytes, int iters) {
  size_t n = bytes / sizeof(float);
  float *buf = malloc(n * sizeof(float));
  if (!buf) return -1;
#pragma omp parallel for
  for (size_t i = 0; i < n; i++) buf[i] = 1.0f;
  stream_job job = {buf, n};
  double best = best_seconds(parallel_stream_sum, &job, iters);
  free(buf);
  return bytes / best / 1e9;
}

#define PEAK_REPS 20000000L
/* Independent v16 accumulators: enough to hide the FMA latency, few enough to stay in registers. */
#define PEAK_CHAINS (V16_REGS * 3 / 8)

/* Register-resident FMAs on every thread; *ctx gets the team size. */
static float parallel_fma(void *ctx) {
  float total = 0;
#pragma omp parallel reduction(+ : total)
  {
#pragma omp single
    *(int *)ctx = omp_get_num_threads();
    v16 acc[PEAK_CHAINS], m = v16_set1(0.9999999f), a = v16_set1(1e-7f);
    for (int j = 0; j < PEAK_CHAINS; j++) acc[j] = v16_set1((float)j);
    for (long r = 0; r < PEAK_REPS; r++)
      for (int j = 0; j < PEAK_CHAINS; j++) acc[j] = v16_fmadd(acc[j], m, a);
    for (int j = 0; j < PEAK_CHAINS; j++) total += v16_reduce_add(acc[j]);
  }
  return total;
}

/* The machine's measured f32 peak, the roofline's flat part. */
double sv_peak_gflops(int iters) {
  int threads = 1;
  double seconds = best_seconds(parallel_fma, &threads, iters);
  return 2.0 * 16 * PEAK_CHAINS * PEAK_REPS * threads / seconds / 1e9;
}
