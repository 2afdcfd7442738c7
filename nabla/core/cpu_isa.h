#pragma once
// Which vector instructions nabla's own hand-written kernels may use: the best the CPU has, capped by
// NABLA_MAX_CPU_ISA (AVX2 or PORTABLE; AVX512 or unset: no cap), as ONEDNN_MAX_CPU_ISA caps oneDNN's. The cap
// lets an AVX-512 machine stand in for an AVX2-only one (bench/side_by_side.py --isa avx2). Kernels with AVX-512
// versions compute the same bits as their AVX2 versions, so the cap changes speed only.
namespace nabla {

enum class CpuIsa { portable, avx2, avx512 };  // avx2 includes FMA; avx512 means F, VL, DQ and BW

CpuIsa cpu_isa();
// The lower of `most` and cpu_isa(): what a kernel limited to `most` (a test, a benchmark) may use.
CpuIsa cpu_isa_at_most(CpuIsa most);
const char* cpu_isa_name(CpuIsa isa);

}  // namespace nabla
