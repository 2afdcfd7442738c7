#include "nabla/kernels/int8_primitive.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "nabla/kernels/dnnl_context.h"

namespace nabla::kernels {

void Int8Primitive::zero_points(const Int8Requant& rq) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  dnnl::memory::desc zp_md({1}, dt::s32, tag::x);
  if (rq.src_zero_point != 0) {
    src_zp = dnnl::memory(zp_md, dnnl_engine());
    *static_cast<int32_t*>(src_zp.get_data_handle()) = rq.src_zero_point;
  }
  if (rq.dst_zero_point != 0 && !rq.dst_f32) {
    dst_zp = dnnl::memory(zp_md, dnnl_engine());
    *static_cast<int32_t*>(dst_zp.get_data_handle()) = rq.dst_zero_point;
  }
}

void Int8Primitive::execute(const void* src, void* dst) const {
  auto& eng = dnnl_engine();
  dnnl::memory s(src_md, eng, const_cast<void*>(src));
  dnnl::memory d(dst_md, eng, dst);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d}};
  if (weights) args[DNNL_ARG_WEIGHTS] = weights;
  if (bias) args[DNNL_ARG_BIAS] = bias;
  if (src_zp) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = src_zp;
  if (dst_zp) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST] = dst_zp;
  prim.execute(dnnl_stream(), args);
  dnnl_stream().wait();
}

dnnl::primitive_attr int8_attr(const Int8Requant& rq, int mask) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(mask, rq.out_scales);
  if (rq.src_zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  if (rq.dst_zero_point != 0 && !rq.dst_f32) attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  if (rq.relu) {
    dnnl::post_ops po;
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(po);
  }
  return attr;
}

bool int8_vnni() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  auto has = [isa](dnnl_cpu_isa_t level) { return (isa & unsigned(level)) == unsigned(level); };
  return has(dnnl_cpu_isa_avx512_core_vnni) || has(dnnl_cpu_isa_avx2_vnni);
}

void fit_weights_to_int16_pairs(std::vector<int8_t>& w, int64_t channels, std::vector<int32_t>& bias,
                                Int8Requant& rq) {
  if (int8_vnni()) return;
  std::vector<int> amax(size_t(channels), 0);
  for (size_t i = 0; i < w.size(); ++i) {
    int& m = amax[i % size_t(channels)];
    m = std::max(m, std::abs(int(w[i])));
  }
  for (size_t i = 0; i < w.size(); ++i)
    if (amax[i % size_t(channels)] > 64) w[i] = int8_t(std::nearbyint(w[i] / 2.0));
  for (int64_t c = 0; c < channels; ++c) {
    if (amax[size_t(c)] <= 64) continue;
    rq.out_scales[size_t(c)] *= 2.f;
    if (!bias.empty()) bias[size_t(c)] = int32_t(std::nearbyint(bias[size_t(c)] / 2.0));
  }
}

dnnl::memory reorder_weights(const dnnl::memory::desc& from, const dnnl::memory::desc& to, const int8_t* w) {
  auto& eng = dnnl_engine();
  dnnl::memory src(from, eng, const_cast<int8_t*>(w));
  dnnl::memory dst(to, eng);
  dnnl::reorder(src, dst).execute(dnnl_stream(), src, dst);
  dnnl_stream().wait();
  return dst;
}

}  // namespace nabla::kernels
