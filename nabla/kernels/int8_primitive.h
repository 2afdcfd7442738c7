#pragma once
// What the int8 kernels (int8_matmul, int8_conv, int8_pooling) share: a oneDNN primitive with its reordered
// weights, bias and zero points, executed on caller-owned buffers; the requantization attributes; the weight
// reorder. Internal to kernels/.
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

#include "nabla/kernels/int8_matmul.h"

namespace nabla::kernels {

struct Int8Primitive {
  dnnl::primitive prim;
  dnnl::memory::desc src_md, dst_md;
  dnnl::memory weights, bias, src_zp, dst_zp;
  // Runtime zero points (oneDNN 2.6's int8 matmul and convolution take them as s32 memories).
  void zero_points(const Int8Requant& rq);
  void execute(const void* src, void* dst) const;
};

// Output scales per output channel (`mask` selects the channel axis), runtime zero points where nonzero, ReLU
// as an eltwise post-op (applied before the output zero point is added).
dnnl::primitive_attr int8_attr(const Int8Requant& rq, int mask);
// Without VNNI (int8_vnni()), halves the channels of w (channel = index % channels: [K, N] and HWIO alike) whose
// weights exceed 64 in magnitude, with their bias and output scale (see int8_vnni in int8_matmul.h).
void fit_weights_to_int16_pairs(std::vector<int8_t>& w, int64_t channels, std::vector<int32_t>& bias,
                                Int8Requant& rq);
// Weights from the plain layout `from` into the primitive's chosen layout `to`.
dnnl::memory reorder_weights(const dnnl::memory::desc& from, const dnnl::memory::desc& to, const int8_t* w);

}  // namespace nabla::kernels
