/*
 * cpu_backend.c — the CPU compute backend: the kernels of cpu_kernels.inc
 * instantiated for float (the engine) and for double (the gradcheck build),
 * behind the cml_backend vtable. GEMMs go to the BLAS (cblas_sgemm /
 * cblas_dgemm); the other loops run in parallel (cml_par_for) where they pay and keep a
 * fixed reduction order, so results do not depend on the thread count.
 *
 * Thread-safety: stateless; each graph belongs to one thread.
 */
#include <cblas.h>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <math.h>
#include <string.h>

#include "tensor/par.h"
#include "tensor/tensor.h"

#define CML_CAT_(a, b) a##b
#define CML_CAT(a, b)  CML_CAT_(a, b)

/* ---- float instance */
#define real           float
#define REAL_IS_DOUBLE 0
#define KN(name)       CML_CAT(name, _f32)
#define GEMM           cblas_sgemm
#define EXPR           expf
#define TANHR          tanhf
#define ERFR           erff
#include "cpu_kernels.inc"
#undef real
#undef REAL_IS_DOUBLE
#undef KN
#undef GEMM
#undef EXPR
#undef TANHR
#undef ERFR

/* ---- double instance (gradcheck) */
#define real           double
#define REAL_IS_DOUBLE 1
#define KN(name)       CML_CAT(name, _f64)
#define GEMM           cblas_dgemm
#define EXPR           exp
#define TANHR          tanh
#define ERFR           erf
#include "cpu_kernels.inc"
#undef real
#undef REAL_IS_DOUBLE
#undef KN
#undef GEMM
#undef EXPR
#undef TANHR
#undef ERFR

static int cpu_supports_op(const cml_tensor *t)
{
    return t->op >= CML_OP_LEAF && t->op < CML_OP__COUNT &&
           (t->dtype == CML_F32 || t->dtype == CML_F64);
}

static cml_status cpu_forward(cml_tensor *t)
{
    return t->dtype == CML_F64 ? forward_f64(t) : forward_f32(t);
}

static cml_status cpu_backward(cml_tensor *t)
{
    return t->dtype == CML_F64 ? backward_f64(t) : backward_f32(t);
}

/* The (op, source) pairs whose backward kernel overwrites a fresh grad
 * (axpy_to, relu, mean/sum, linear's dx, batch norm's dx, conv's dx: the
 * last zeroes a chunk's images just before adding into them, in cache). */
static int cpu_assigns(const cml_tensor *t, int i)
{
    switch (t->op) {
    case CML_OP_ADD:
    case CML_OP_SUB: return 1;
    case CML_OP_CONTIG:
    case CML_OP_RELU:
    case CML_OP_SUM:
    case CML_OP_MEAN:
    case CML_OP_LINEAR:
    case CML_OP_BATCHNORM:
    case CML_OP_CONV2D: return i == 0;
    default: return 0;
    }
}

static void cpu_zero(void *p, int64_t n, cml_dtype dt)
{
    if (n > 0) memset(p, 0, (size_t)n * cml_dtype_size(dt));
}

static const cml_backend cpu_backend = {"cpu", cpu_supports_op, cpu_forward, cpu_backward, cpu_zero,
                                        NULL,  cpu_assigns};

const cml_backend *cml_backend_cpu(void)
{
    return &cpu_backend;
}
