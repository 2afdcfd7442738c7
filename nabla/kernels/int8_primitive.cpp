#include "nabla/kernels/int8_primitive.h"

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

dnnl::memory reorder_weights(const dnnl::memory::desc& from, const dnnl::memory::desc& to, const int8_t* w) {
  auto& eng = dnnl_engine();
  dnnl::memory src(from, eng, const_cast<int8_t*>(w));
  dnnl::memory dst(to, eng);
  dnnl::reorder(src, dst).execute(dnnl_stream(), src, dst);
  dnnl_stream().wait();
  return dst;
}

}  // namespace nabla::kernels
