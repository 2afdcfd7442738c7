#include "nabla/kernels/int8_conv.h"

#include <string>
#include <unordered_map>

#include "nabla/core/error.h"
#include "nabla/kernels/dnnl_context.h"
#include "nabla/kernels/int8_primitive.h"

namespace nabla::kernels {

struct Int8Conv2D::Impl {
  Int8ConvGeometry g;  // g.c: the channels the primitive sees (padded to 4, below)
  int64_t c_in = 0;    // the input's own channels
  std::vector<int8_t> w;  // HWIO
  std::vector<int32_t> bias;
  Int8Requant rq;
  mutable std::mutex mu;
  mutable std::unordered_map<int64_t, std::shared_ptr<Int8Primitive>> by_n;

  std::shared_ptr<Int8Primitive> make(int64_t n) const {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    using md = dnnl::memory::desc;
    auto& eng = dnnl_engine();
    md src_md({n, g.c, g.h, g.w}, dt::u8, tag::nhwc);
    md w_any({g.o, g.c, g.kh, g.kw}, dt::s8, tag::any);
    md b_md({g.o}, dt::s32, tag::x);
    md dst_md({n, g.o, g.oh, g.ow}, rq.dst_f32 ? dt::f32 : dt::u8, tag::nhwc);
    dnnl::primitive_attr attr = int8_attr(rq, 1 << 1);
    const dnnl::memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1}, pl{g.pad_t, g.pad_l},
        pr{g.pad_b, g.pad_r};
    auto d = bias.empty() ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                            dnnl::algorithm::convolution_direct, src_md, w_any,
                                                            dst_md, strides, dil, pl, pr)
                          : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                            dnnl::algorithm::convolution_direct, src_md, w_any,
                                                            b_md, dst_md, strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
    auto p = std::make_shared<Int8Primitive>();
    p->prim = dnnl::convolution_forward(pd);
    p->src_md = pd.src_desc();
    p->dst_md = pd.dst_desc();
    p->weights = reorder_weights(md({g.o, g.c, g.kh, g.kw}, dt::s8, tag::hwio), pd.weights_desc(), w.data());
    if (!bias.empty()) p->bias = dnnl::memory(b_md, eng, const_cast<int32_t*>(bias.data()));
    p->zero_points(rq);
    return p;
  }
};

Int8Conv2D::Int8Conv2D(const Int8ConvGeometry& g, const int8_t* w, std::vector<int32_t> bias, Int8Requant rq)
    : impl_(std::make_unique<Impl>()) {
  NABLA_CHECK(g.c > 0 && g.o > 0 && g.kh > 0 && g.kw > 0 && g.oh > 0 && g.ow > 0, "Int8Conv2D: bad geometry");
  NABLA_CHECK(int64_t(rq.out_scales.size()) == g.o, "Int8Conv2D: ", rq.out_scales.size(), " output scales for ",
              g.o, " filters");
  NABLA_CHECK(bias.empty() || int64_t(bias.size()) == g.o, "Int8Conv2D: bias of ", bias.size(), " for ", g.o,
              " filters");
  impl_->g = g;
  impl_->c_in = g.c;
  impl_->w.assign(w, w + g.kh * g.kw * g.c * g.o);
  // Fewer than 4 input channels (a grayscale or RGB image): VNNI multiplies 4 u8 channels at a time, and oneDNN's
  // kernels for 1 channel measured slower than for 4 (Fashion-MNIST's first convolution took as long as its
  // second, 30x the work). The input is widened with zero channels whose weights are zero: the same result.
  if (g.c < 4) {
    std::vector<int8_t> wide(size_t(g.kh * g.kw * 4 * g.o), 0);
    for (int64_t p = 0; p < g.kh * g.kw; ++p)
      for (int64_t ci = 0; ci < g.c; ++ci)
        for (int64_t co = 0; co < g.o; ++co)
          wide[size_t((p * 4 + ci) * g.o + co)] = impl_->w[size_t((p * g.c + ci) * g.o + co)];
    impl_->w = std::move(wide);
    impl_->g.c = 4;
  }
  impl_->bias = std::move(bias);
  impl_->rq = std::move(rq);
  fit_weights_to_int16_pairs(impl_->w, g.o, impl_->bias, impl_->rq);
}
Int8Conv2D::~Int8Conv2D() = default;

void Int8Conv2D::run(const uint8_t* src, int64_t n, void* dst) const {
  const Impl& s = *impl_;
  std::vector<uint8_t> wide;
  if (s.c_in != s.g.c) {
    const int64_t pixels = n * s.g.h * s.g.w;
    wide.assign(size_t(pixels * s.g.c), 0);
    for (int64_t i = 0; i < pixels; ++i)
      for (int64_t ci = 0; ci < s.c_in; ++ci) wide[size_t(i * s.g.c + ci)] = src[i * s.c_in + ci];
    src = wide.data();
  }
  std::shared_ptr<Int8Primitive> p;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    // One primitive (and reordered weights) per batch size; a server seeing many sizes starts over rather
    // than growing without bound (calls in flight keep theirs alive).
    if (impl_->by_n.size() >= 64 && !impl_->by_n.count(n)) impl_->by_n.clear();
    auto& slot = impl_->by_n[n];
    if (!slot) {
      try {
        slot = impl_->make(n);
      } catch (const dnnl::error& e) {
        // oneDNN refuses some geometries (no implementation): a nabla error, not a crash.
        throw ValueError(std::string("Int8Conv2D: oneDNN cannot create the primitive: ") + e.what());
      }
    }
    p = slot;
  }
  p->execute(src, dst);
}

}  // namespace nabla::kernels
