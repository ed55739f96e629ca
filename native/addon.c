/*
 * Node-API glue: unpacks typed arrays and numbers, checks buffer lengths (a wrong size throws a
 * RangeError instead of reading out of bounds), and calls the kernels in kernels.c.
 */
#define NAPI_VERSION 8
#include <cblas.h>
#include <node_api.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

typedef struct {
  void *data;
  size_t length;
} view;

#define CHECK(env, call)                                              \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "spec-vla native: N-API call failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *fn) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: expected %zu arguments", fn, want);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static int get_array(napi_env env, napi_value v, napi_typedarray_type type, view *out, const char *fn, const char *name) {
  bool is_ta = false;
  napi_typedarray_type t;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &t, &out->length, &out->data, NULL, NULL) != napi_ok || t != type) {
    static const char *names[] = {[napi_float32_array] = "Float32Array", [napi_int32_array] = "Int32Array",
                                  [napi_uint16_array] = "Uint16Array"};
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s must be a %s", fn, name, names[type]);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

/* A Float32Array argument that may be null or undefined (then data is NULL). */
static int get_optional_f32(napi_env env, napi_value v, view *out, const char *fn, const char *name) {
  napi_valuetype t;
  out->data = NULL;
  out->length = 0;
  if (napi_typeof(env, v, &t) != napi_ok) {
    napi_throw_error(env, NULL, "spec-vla native: N-API call failed");
    return 0;
  }
  return t == napi_null || t == napi_undefined || get_array(env, v, napi_float32_array, out, fn, name);
}

static int get_int(napi_env env, napi_value v, int *out, const char *fn, const char *name) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok || x < 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s must be a non-negative integer", fn, name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *out = x;
  return 1;
}

static int get_double(napi_env env, napi_value v, double *out, const char *fn, const char *name) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s must be a number", fn, name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static int need(napi_env env, size_t have, size_t want, const char *fn, const char *name) {
  if (have < want) {
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %s holds %zu values, needs %zu", fn, name, have, want);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

#define F32(i, var) view var; if (!get_array(env, argv[i], napi_float32_array, &var, FN, #var)) return NULL
#define I32(i, var) view var; if (!get_array(env, argv[i], napi_int32_array, &var, FN, #var)) return NULL
#define U16(i, var) view var; if (!get_array(env, argv[i], napi_uint16_array, &var, FN, #var)) return NULL
#define INT(i, var) int var; if (!get_int(env, argv[i], &var, FN, #var)) return NULL
#define NUM(i, var) double var; if (!get_double(env, argv[i], &var, FN, #var)) return NULL
#define NEED(have, want, name) if (!need(env, have, want, FN, name)) return NULL
#define ARGS(n) napi_value argv[n]; if (!get_args(env, info, n, argv, FN)) return NULL

static napi_value Matmul(napi_env env, napi_callback_info info) {
  const char *FN = "matmul";
  ARGS(7);
  F32(0, a); F32(1, b); F32(2, c); INT(3, M); INT(4, N); INT(5, K);
  bool transB;
  CHECK(env, napi_get_value_bool(env, argv[6], &transB));
  NEED(a.length, (size_t)M * K, "a"); NEED(b.length, (size_t)K * N, "b"); NEED(c.length, (size_t)M * N, "c");
  sv_matmul(a.data, b.data, c.data, M, N, K, transB);
  return NULL;
}

static napi_value MatmulBf16(napi_env env, napi_callback_info info) {
  const char *FN = "matmulBf16";
  ARGS(6);
  F32(0, a); U16(1, b); F32(2, c); INT(3, M); INT(4, N); INT(5, K);
  NEED(a.length, (size_t)M * K, "a"); NEED(b.length, (size_t)K * N, "b"); NEED(c.length, (size_t)M * N, "c");
  if (sv_matmul_bf16(a.data, b.data, c.data, M, N, K) != 0) napi_throw_error(env, NULL, "matmulBf16: out of memory");
  return NULL;
}

static void free_panels(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* A new Float32Array over a 64-byte aligned buffer (panels_tile's aligned loads), freed with it. */
static napi_value PackPanels(napi_env env, napi_callback_info info) {
  const char *FN = "packPanels";
  ARGS(3);
  F32(0, b); INT(1, N); INT(2, K);
  NEED(b.length, (size_t)N * K, "b");
  size_t n = (size_t)((N + 15) / 16) * 16 * K;
  float *bp = sv_pack_panels(b.data, N, K);
  if (!bp) {
    napi_throw_error(env, NULL, "packPanels: out of memory");
    return NULL;
  }
  napi_value buffer, array;
  if (napi_create_external_arraybuffer(env, bp, n * sizeof(float), free_panels, NULL, &buffer) != napi_ok) {
    free(bp);
    napi_throw_error(env, NULL, "packPanels: cannot wrap the buffer");
    return NULL;
  }
  CHECK(env, napi_create_typedarray(env, napi_float32_array, n, buffer, 0, &array));
  return array;
}

static napi_value MatmulPanels(napi_env env, napi_callback_info info) {
  const char *FN = "matmulPanels";
  ARGS(6);
  F32(0, a); F32(1, bp); F32(2, c); INT(3, M); INT(4, N); INT(5, K);
  NEED(a.length, (size_t)M * K, "a"); NEED(bp.length, (size_t)((N + 15) / 16) * 16 * K, "panels"); NEED(c.length, (size_t)M * N, "c");
  sv_matmul_panels(a.data, bp.data, c.data, M, N, K);
  return NULL;
}

static napi_value Resample(napi_env env, napi_callback_info info) {
  const char *FN = "resample";
  ARGS(10);
  F32(0, src); F32(1, out); INT(2, lines); INT(3, lineIn); INT(4, lineOut); INT(5, stepIn); INT(6, stepOut);
  I32(7, first); F32(8, weights); INT(9, taps);
  int m = (int)first.length;
  NEED(weights.length, (size_t)m * taps, "weights");
  /* Every read and write must land inside its buffer: the last line, the furthest tap, channel 2. */
  const int32_t *f = first.data;
  size_t lastLine = lines ? (size_t)(lines - 1) : 0;
  for (int j = 0; j < m; j++) {
    if (f[j] < 0 || (lines && taps && lastLine * lineIn + (size_t)(f[j] + taps - 1) * stepIn + 2 >= src.length)) {
      napi_throw_range_error(env, NULL, "resample: a tap window reads past src");
      return NULL;
    }
  }
  if (lines && m && lastLine * lineOut + (size_t)(m - 1) * stepOut + 2 >= out.length) {
    napi_throw_range_error(env, NULL, "resample: out is too small");
    return NULL;
  }
  sv_resample(src.data, out.data, lines, lineIn, lineOut, stepIn, stepOut, f, m, weights.data, taps);
  return NULL;
}

static napi_value MatmulTransA(napi_env env, napi_callback_info info) {
  const char *FN = "matmulTransA";
  ARGS(6);
  F32(0, a); F32(1, b); F32(2, c); INT(3, M); INT(4, N); INT(5, K);
  NEED(a.length, (size_t)K * M, "a"); NEED(b.length, (size_t)K * N, "b"); NEED(c.length, (size_t)M * N, "c");
  sv_matmul_trans_a(a.data, b.data, c.data, M, N, K);
  return NULL;
}

static napi_value binary(napi_env env, napi_callback_info info, const char *FN,
                         void (*fn)(const float *, size_t, const float *, size_t, float *)) {
  ARGS(3);
  F32(0, a); F32(1, b); F32(2, out);
  if (b.length == 0 || a.length % b.length != 0) {
    napi_throw_range_error(env, NULL, "add/mul: b's length must divide a's length");
    return NULL;
  }
  NEED(out.length, a.length, "out");
  fn(a.data, a.length, b.data, b.length, out.data);
  return NULL;
}
static napi_value Add(napi_env env, napi_callback_info info) { return binary(env, info, "add", sv_add); }
static napi_value Mul(napi_env env, napi_callback_info info) { return binary(env, info, "mul", sv_mul); }

static napi_value Scale(napi_env env, napi_callback_info info) {
  const char *FN = "scale";
  ARGS(3);
  F32(0, a); NUM(1, s); F32(2, out);
  NEED(out.length, a.length, "out");
  sv_scale(a.data, a.length, (float)s, out.data);
  return NULL;
}

static napi_value RmsNorm(napi_env env, napi_callback_info info) {
  const char *FN = "rmsNorm";
  ARGS(6);
  F32(0, x); F32(1, w); F32(2, out); INT(3, rows); INT(4, cols); NUM(5, eps);
  NEED(x.length, (size_t)rows * cols, "x"); NEED(w.length, cols, "w"); NEED(out.length, (size_t)rows * cols, "out");
  sv_rms_norm(x.data, w.data, out.data, rows, cols, (float)eps);
  return NULL;
}

static napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  const char *FN = "rmsNormGrad";
  ARGS(8);
  F32(0, x); F32(1, w); F32(2, g); F32(3, dx); F32(4, dw); INT(5, rows); INT(6, cols); NUM(7, eps);
  size_t n = (size_t)rows * cols;
  NEED(x.length, n, "x"); NEED(w.length, cols, "w"); NEED(g.length, n, "g"); NEED(dx.length, n, "dx"); NEED(dw.length, cols, "dw");
  sv_rms_norm_grad(x.data, w.data, g.data, dx.data, dw.data, rows, cols, (float)eps);
  return NULL;
}

static napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  const char *FN = "layerNormGrad";
  ARGS(9);
  F32(0, x); F32(1, w); F32(2, g); F32(3, dx); F32(4, dw); F32(5, db); INT(6, rows); INT(7, cols); NUM(8, eps);
  size_t n = (size_t)rows * cols;
  NEED(x.length, n, "x"); NEED(w.length, cols, "w"); NEED(g.length, n, "g"); NEED(dx.length, n, "dx");
  NEED(dw.length, cols, "dw"); NEED(db.length, cols, "db");
  sv_layer_norm_grad(x.data, w.data, g.data, dx.data, dw.data, db.data, rows, cols, (float)eps);
  return NULL;
}

static napi_value LayerNorm(napi_env env, napi_callback_info info) {
  const char *FN = "layerNorm";
  ARGS(7);
  F32(0, x); F32(1, w); F32(2, b); F32(3, out); INT(4, rows); INT(5, cols); NUM(6, eps);
  NEED(x.length, (size_t)rows * cols, "x"); NEED(w.length, cols, "w"); NEED(b.length, cols, "b");
  NEED(out.length, (size_t)rows * cols, "out");
  sv_layer_norm(x.data, w.data, b.data, out.data, rows, cols, (float)eps);
  return NULL;
}

static napi_value Rope(napi_env env, napi_callback_info info) {
  const char *FN = "rope";
  ARGS(7);
  F32(0, x); I32(1, positions); F32(2, out); INT(3, T); INT(4, nHeads); INT(5, headDim); NUM(6, theta);
  size_t n = (size_t)T * nHeads * headDim;
  NEED(x.length, n, "x"); NEED(positions.length, T, "positions"); NEED(out.length, n, "out");
  sv_rope(x.data, positions.data, out.data, T, nHeads, headDim, theta);
  return NULL;
}

static napi_value unary(napi_env env, napi_callback_info info, const char *FN, void (*fn)(const float *, size_t, float *)) {
  ARGS(2);
  F32(0, x); F32(1, out);
  NEED(out.length, x.length, "out");
  fn(x.data, x.length, out.data);
  return NULL;
}
static napi_value Silu(napi_env env, napi_callback_info info) { return unary(env, info, "silu", sv_silu); }
static napi_value Swiglu(napi_env env, napi_callback_info info) {
  const char *FN = "swiglu";
  ARGS(3);
  F32(0, gate); F32(1, up); F32(2, out);
  NEED(up.length, gate.length, "up"); NEED(out.length, gate.length, "out");
  sv_swiglu(gate.data, up.data, gate.length, out.data);
  return NULL;
}
static napi_value GeluTanh(napi_env env, napi_callback_info info) { return unary(env, info, "geluTanh", sv_gelu_tanh); }
static napi_value GeluErf(napi_env env, napi_callback_info info) { return unary(env, info, "geluErf", sv_gelu_erf); }

static napi_value unary_grad(napi_env env, napi_callback_info info, const char *FN, void (*fn)(const float *, const float *, size_t, float *)) {
  ARGS(3);
  F32(0, x); F32(1, g); F32(2, out);
  NEED(g.length, x.length, "g"); NEED(out.length, x.length, "out");
  fn(x.data, g.data, x.length, out.data);
  return NULL;
}
static napi_value SiluGrad(napi_env env, napi_callback_info info) { return unary_grad(env, info, "siluGrad", sv_silu_grad); }
static napi_value GeluTanhGrad(napi_env env, napi_callback_info info) { return unary_grad(env, info, "geluTanhGrad", sv_gelu_tanh_grad); }
static napi_value GeluErfGrad(napi_env env, napi_callback_info info) { return unary_grad(env, info, "geluErfGrad", sv_gelu_erf_grad); }

static napi_value Softmax(napi_env env, napi_callback_info info) {
  const char *FN = "softmax";
  ARGS(4);
  F32(0, x); F32(1, out); INT(2, rows); INT(3, cols);
  NEED(x.length, (size_t)rows * cols, "x"); NEED(out.length, (size_t)rows * cols, "out");
  sv_softmax(x.data, out.data, rows, cols);
  return NULL;
}

static napi_value Attention(napi_env env, napi_callback_info info) {
  const char *FN = "attention";
  ARGS(10);
  F32(0, q); F32(1, k); F32(2, v);
  view mask;
  if (!get_optional_f32(env, argv[3], &mask, FN, "mask")) return NULL;
  F32(4, out); INT(5, T); INT(6, S); INT(7, nHeads); INT(8, nKvHeads); INT(9, headDim);
  if (nKvHeads == 0 || nHeads % nKvHeads != 0) {
    napi_throw_range_error(env, NULL, "attention: nHeads must be a multiple of nKvHeads");
    return NULL;
  }
  NEED(q.length, (size_t)T * nHeads * headDim, "q"); NEED(out.length, (size_t)T * nHeads * headDim, "out");
  NEED(k.length, (size_t)S * nKvHeads * headDim, "k"); NEED(v.length, (size_t)S * nKvHeads * headDim, "v");
  if (mask.data) NEED(mask.length, (size_t)T * S, "mask");
  if (sv_attention(q.data, k.data, v.data, mask.data, out.data, T, S, nHeads, nKvHeads, headDim) != 0) {
    napi_throw_error(env, NULL, "attention: out of memory");
  }
  return NULL;
}

static napi_value AttentionGrad(napi_env env, napi_callback_info info) {
  const char *FN = "attentionGrad";
  ARGS(13);
  F32(0, q); F32(1, k); F32(2, v);
  view mask;
  if (!get_optional_f32(env, argv[3], &mask, FN, "mask")) return NULL;
  F32(4, g); F32(5, dq); F32(6, dk); F32(7, dv); INT(8, T); INT(9, S); INT(10, nHeads); INT(11, nKvHeads); INT(12, headDim);
  if (nKvHeads == 0 || nHeads % nKvHeads != 0) {
    napi_throw_range_error(env, NULL, "attentionGrad: nHeads must be a multiple of nKvHeads");
    return NULL;
  }
  NEED(q.length, (size_t)T * nHeads * headDim, "q"); NEED(g.length, (size_t)T * nHeads * headDim, "g");
  NEED(dq.length, (size_t)T * nHeads * headDim, "dq");
  NEED(k.length, (size_t)S * nKvHeads * headDim, "k"); NEED(v.length, (size_t)S * nKvHeads * headDim, "v");
  NEED(dk.length, (size_t)S * nKvHeads * headDim, "dk"); NEED(dv.length, (size_t)S * nKvHeads * headDim, "dv");
  if (mask.data) NEED(mask.length, (size_t)T * S, "mask");
  if (sv_attention_grad(q.data, k.data, v.data, mask.data, g.data, dq.data, dk.data, dv.data, T, S, nHeads, nKvHeads, headDim) != 0) {
    napi_throw_error(env, NULL, "attentionGrad: out of memory");
  }
  return NULL;
}

static napi_value Embedding(napi_env env, napi_callback_info info) {
  const char *FN = "embedding";
  ARGS(4);
  F32(0, table); I32(1, ids); F32(2, out); INT(3, dim);
  NEED(out.length, ids.length * dim, "out");
  const int32_t *id = ids.data;
  size_t rows = dim ? table.length / dim : 0;
  for (size_t i = 0; i < ids.length; i++) {
    if (id[i] < 0 || (size_t)id[i] >= rows) {
      napi_throw_range_error(env, NULL, "embedding: token id outside the table");
      return NULL;
    }
  }
  sv_embedding(table.data, ids.data, ids.length, out.data, dim);
  return NULL;
}

static napi_value Argmax(napi_env env, napi_callback_info info) {
  const char *FN = "argmax";
  ARGS(4);
  F32(0, x); INT(1, rows); INT(2, cols); I32(3, out);
  NEED(x.length, (size_t)rows * cols, "x"); NEED(out.length, rows, "out");
  if (cols == 0 && rows > 0) {
    napi_throw_range_error(env, NULL, "argmax: rows of length 0");
    return NULL;
  }
  sv_argmax(x.data, rows, cols, out.data);
  return NULL;
}

static napi_value TopK(napi_env env, napi_callback_info info) {
  const char *FN = "topK";
  ARGS(4);
  F32(0, x); INT(1, k); I32(2, indices); F32(3, values);
  NEED(x.length, k, "x"); NEED(indices.length, k, "indices"); NEED(values.length, k, "values");
  sv_topk(x.data, x.length, k, indices.data, values.data);
  return NULL;
}

static napi_value from16(napi_env env, napi_callback_info info, const char *FN, void (*fn)(const uint16_t *, size_t, float *)) {
  ARGS(2);
  U16(0, src); F32(1, out);
  NEED(out.length, src.length, "out");
  fn(src.data, src.length, out.data);
  return NULL;
}
static napi_value to16(napi_env env, napi_callback_info info, const char *FN, void (*fn)(const float *, size_t, uint16_t *)) {
  ARGS(2);
  F32(0, src); U16(1, out);
  NEED(out.length, src.length, "out");
  fn(src.data, src.length, out.data);
  return NULL;
}
static napi_value Bf16ToF32(napi_env env, napi_callback_info info) { return from16(env, info, "bf16ToF32", sv_bf16_to_f32); }
static napi_value F16ToF32(napi_env env, napi_callback_info info) { return from16(env, info, "f16ToF32", sv_f16_to_f32); }
static napi_value F32ToBf16(napi_env env, napi_callback_info info) { return to16(env, info, "f32ToBf16", sv_f32_to_bf16); }
static napi_value F32ToF16(napi_env env, napi_callback_info info) { return to16(env, info, "f32ToF16", sv_f32_to_f16); }

static napi_value BlasInfo(napi_env env, napi_callback_info info) {
  napi_value obj, core, threads, config;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &core));
  CHECK(env, napi_create_int32(env, omp_get_max_threads(), &threads));
  CHECK(env, napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &config));
  CHECK(env, napi_set_named_property(env, obj, "core", core));
  CHECK(env, napi_set_named_property(env, obj, "threads", threads));
  CHECK(env, napi_set_named_property(env, obj, "config", config));
  return obj;
}

static napi_value BlasSgemmSeconds(napi_env env, napi_callback_info info) {
  const char *FN = "blasSgemmSeconds";
  ARGS(4);
  INT(0, M); INT(1, N); INT(2, K); INT(3, iters);
  napi_value r;
  CHECK(env, napi_create_double(env, sv_blas_sgemm_seconds(M, N, K, iters), &r));
  return r;
}

static napi_value ReadBandwidth(napi_env env, napi_callback_info info) {
  const char *FN = "readBandwidth";
  ARGS(2);
  NUM(0, bytes); INT(1, iters);
  napi_value r;
  CHECK(env, napi_create_double(env, sv_read_bandwidth((size_t)bytes, iters), &r));
  return r;
}

static napi_value PeakGflops(napi_env env, napi_callback_info info) {
  const char *FN = "peakGflops";
  ARGS(1);
  INT(0, iters);
  napi_value r;
  CHECK(env, napi_create_double(env, sv_peak_gflops(iters), &r));
  return r;
}

static napi_value Noop(napi_env env, napi_callback_info info) { return NULL; }

/*
 * Every op returns a fresh Float32Array; glibc serves buffers above 128 KiB-32 MiB (its adaptive
 * threshold) with mmap and gives freed heap tops back to the kernel, so a training step spent about
 * half its time in page faults. Keeping freed memory in the heap instead measured 1.2x more training
 * samples/s. A user's own malloc settings (environment) win.
 */
static void keep_freed_memory(void) {
#ifdef __GLIBC__
  if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") || getenv("MALLOC_TOP_PAD_") || getenv("GLIBC_TUNABLES")) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

static napi_value Init(napi_env env, napi_value exports) {
  /* OpenMP threads split the work; OpenBLAS runs single-threaded inside each share (see sv_matmul). */
  openblas_set_num_threads(1);
  keep_freed_memory();
  napi_property_descriptor props[] = {
#define FUNC(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}
      FUNC("matmul", Matmul),       FUNC("matmulTransA", MatmulTransA),
      FUNC("matmulBf16", MatmulBf16), FUNC("resample", Resample),
      FUNC("packPanels", PackPanels), FUNC("matmulPanels", MatmulPanels),
      FUNC("add", Add),
      FUNC("mul", Mul),             FUNC("scale", Scale),
      FUNC("rmsNorm", RmsNorm),     FUNC("layerNorm", LayerNorm),
      FUNC("rmsNormGrad", RmsNormGrad), FUNC("layerNormGrad", LayerNormGrad),
      FUNC("rope", Rope),           FUNC("silu", Silu),           FUNC("swiglu", Swiglu),
      FUNC("geluTanh", GeluTanh),   FUNC("geluErf", GeluErf),
      FUNC("siluGrad", SiluGrad),   FUNC("geluTanhGrad", GeluTanhGrad),
      FUNC("geluErfGrad", GeluErfGrad),
      FUNC("softmax", Softmax),     FUNC("attention", Attention),
      FUNC("attentionGrad", AttentionGrad),
      FUNC("embedding", Embedding), FUNC("argmax", Argmax),
      FUNC("topK", TopK),           FUNC("bf16ToF32", Bf16ToF32),
      FUNC("f16ToF32", F16ToF32),   FUNC("f32ToBf16", F32ToBf16),
      FUNC("f32ToF16", F32ToF16),   FUNC("blasInfo", BlasInfo),
      FUNC("blasSgemmSeconds", BlasSgemmSeconds), FUNC("readBandwidth", ReadBandwidth),
      FUNC("peakGflops", PeakGflops),
      FUNC("noop", Noop),
#undef FUNC
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  napi_value fast;
  CHECK(env, napi_get_boolean(env, sv_bf16_fast(), &fast));
  CHECK(env, napi_set_named_property(env, exports, "fastBf16", fast));
  napi_value panels;
  CHECK(env, napi_get_boolean(env, true, &panels));
  CHECK(env, napi_set_named_property(env, exports, "fastPanels", panels));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
