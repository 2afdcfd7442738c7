#include "nabla/lite/runtime/qmodel.h"

#include <cmath>

#include "nabla/core/error.h"

namespace nabla::lite {

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::Dense: return "Dense";
    case OpKind::Conv2D: return "Conv2D";
    case OpKind::MaxPooling2D: return "MaxPooling2D";
    case OpKind::AveragePooling2D: return "AveragePooling2D";
    case OpKind::Add: return "Add";
    case OpKind::Concatenate: return "Concatenate";
    case OpKind::Reshape: return "Reshape";
  }
  return "unknown";
}

int64_t QModel::numel(int32_t tensor) const {
  int64_t n = 1;
  for (int64_t d : tensors.at(size_t(tensor)).shape) n *= d;
  return n;
}

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + ")";
}

// Output extent of a window over `in` (explicit padding), or <= 0 when the window does not fit.
int64_t window_out(int64_t in, int64_t pad0, int64_t pad1, int64_t k, int64_t d, int64_t s) {
  const int64_t span = (k - 1) * d + 1;
  if (in + pad0 + pad1 < span) return 0;
  return (in + pad0 + pad1 - span) / s + 1;
}

}  // namespace

void QModel::validate(const std::string& where) const {
  auto fail = [&](const std::string& what) { throw ValueError(where + ": " + what); };
  // Bounds that keep a hostile file from asking for absurd buffers: 2^31 elements per sample.
  constexpr int64_t kMaxNumel = int64_t(1) << 31;
  if (tensors.empty()) fail("no tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const QTensor& t = tensors[i];
    const std::string who = "tensor " + std::to_string(i) + " ('" + t.name + "')";
    if (t.shape.empty() || t.shape.size() > 8) fail(who + " has rank " + std::to_string(t.shape.size()));
    int64_t n = 1;
    for (int64_t d : t.shape) {
      if (d <= 0 || d > kMaxNumel) fail(who + " has shape " + shape_str(t.shape));
      n *= d;
      if (n > kMaxNumel) fail(who + " of shape " + shape_str(t.shape) + " is too large");
    }
    if (!(std::isfinite(t.q.scale) && t.q.scale > 0)) fail(who + " has scale " + std::to_string(t.q.scale));
    if (t.q.zero_point < 0 || t.q.zero_point > 255)
      fail(who + " has zero point " + std::to_string(t.q.zero_point) + " outside 0..255");
  }
  auto tid = [&](int32_t id, const std::string& who) {
    if (id < 0 || size_t(id) >= tensors.size())
      fail(who + " refers to tensor " + std::to_string(id) + " of " + std::to_string(tensors.size()));
    return size_t(id);
  };
  tid(input, "the model input");
  tid(output, "the model output");
  if (tensors[size_t(input)].is_float) fail("the input tensor is marked float");
  if (weight_bits != 7 && weight_bits != 8) fail("weight_bits is " + std::to_string(weight_bits));
  std::vector<bool> ready(tensors.size(), false);
  ready[size_t(input)] = true;
  for (size_t i = 0; i < ops.size(); ++i) {
    const QOp& op = ops[i];
    const std::string who = "op " + std::to_string(i) + " (" + op_kind_name(op.kind) + " '" + op.name + "')";
    if (op.inputs.empty()) fail(who + " has no inputs");
    const size_t out = tid(op.output, who + "'s output");
    if (ready[out]) fail(who + " writes tensor " + std::to_string(op.output) + ", which already has a value");
    for (int32_t in : op.inputs) {
      const size_t t = tid(in, who + "'s input");
      if (!ready[t]) fail(who + " reads tensor " + std::to_string(in) + " before any op writes it");
      if (tensors[t].is_float) fail(who + " reads tensor " + std::to_string(in) + ", a float32 graph output");
    }
    const QTensor& x = tensors[size_t(op.inputs[0])];
    const QTensor& y = tensors[out];
    const bool weighted = op.kind == OpKind::Dense || op.kind == OpKind::Conv2D;
    if (y.is_float && (!weighted || op.output != output))
      fail(who + " writes float32 tensor " + std::to_string(op.output) + "; only a Dense or Conv2D writing the "
           "model output may");
    if (!weighted && (!op.weights.empty() || !op.weight_scales.empty() || !op.bias.empty() || op.relu))
      fail(who + " carries weights, bias or a fused relu");
    auto expect_shape = [&](const std::vector<int64_t>& s) {
      if (s != y.shape) fail(who + " produces " + shape_str(s) + " but its output tensor has shape " + shape_str(y.shape));
    };
    auto geometry = [&](int64_t c_out) {
      if (x.shape.size() != 3) fail(who + " needs a (h, w, c) input, got " + shape_str(x.shape));
      if (op.kh <= 0 || op.kw <= 0 || op.sh <= 0 || op.sw <= 0 || op.dh <= 0 || op.dw <= 0 || op.pad_t < 0 ||
          op.pad_l < 0 || op.pad_b < 0 || op.pad_r < 0 || op.kh > 4096 || op.kw > 4096 || op.dh > 4096 ||
          op.dw > 4096 || op.pad_t >= op.kh * op.dh || op.pad_b >= op.kh * op.dh || op.pad_l >= op.kw * op.dw ||
          op.pad_r >= op.kw * op.dw)
        fail(who + " has a bad window, stride, dilation or padding");
      const int64_t oh = window_out(x.shape[0], op.pad_t, op.pad_b, op.kh, op.dh, op.sh);
      const int64_t ow = window_out(x.shape[1], op.pad_l, op.pad_r, op.kw, op.dw, op.sw);
      if (oh <= 0 || ow <= 0) fail(who + "'s window does not fit its input " + shape_str(x.shape));
      expect_shape({oh, ow, c_out});
    };
    auto expect_inputs = [&](size_t n) {
      if (op.inputs.size() != n)
        fail(who + " has " + std::to_string(op.inputs.size()) + " inputs, expects " + std::to_string(n));
    };
    switch (op.kind) {
      case OpKind::Dense:
      case OpKind::Conv2D: {
        expect_inputs(1);
        const int64_t n_out = int64_t(op.weight_scales.size());
        if (n_out == 0) fail(who + " has no weight scales");
        for (float s : op.weight_scales)
          if (!(std::isfinite(s) && s > 0)) fail(who + " has weight scale " + std::to_string(s));
        if (!op.bias.empty() && int64_t(op.bias.size()) != n_out)
          fail(who + " has " + std::to_string(op.bias.size()) + " biases for " + std::to_string(n_out) + " outputs");
        if (op.kind == OpKind::Conv2D && (op.kh <= 0 || op.kw <= 0 || op.kh > 4096 || op.kw > 4096))
          fail(who + " has a bad window, stride, dilation or padding");
        const int64_t c = x.shape.back();
        // Both factors are bounded (c <= 2^31, kh * kw <= 2^24), their product with n_out need not be: compare
        // per output channel.
        const int64_t per_out = op.kind == OpKind::Dense ? c : int64_t(op.kh) * op.kw * c;
        if (int64_t(op.weights.size()) % n_out != 0 || int64_t(op.weights.size()) / n_out != per_out)
          fail(who + " has " + std::to_string(op.weights.size()) + " weights, expects " + std::to_string(per_out) +
               " per output channel times " + std::to_string(n_out) + " for input " + shape_str(x.shape));
        const int lim = weight_bits == 7 ? 63 : 127;
        for (int8_t w : op.weights)
          if (w < -lim || w > lim) fail(who + " has weight " + std::to_string(w) + " outside the " +
                                        std::to_string(weight_bits) + "-bit range");
        if (op.kind == OpKind::Dense) {
          std::vector<int64_t> s = x.shape;
          s.back() = n_out;
          expect_shape(s);
        } else {
          geometry(n_out);
        }
        break;
      }
      case OpKind::MaxPooling2D:
      case OpKind::AveragePooling2D:
        expect_inputs(1);
        if (op.dh != 1 || op.dw != 1) fail(who + " has a dilation");
        geometry(x.shape.size() == 3 ? x.shape[2] : 0);
        if (op.kind == OpKind::MaxPooling2D && (x.q.scale != y.q.scale || x.q.zero_point != y.q.zero_point))
          fail(who + "'s output is quantized differently from its input");
        if (op.kind == OpKind::AveragePooling2D && (x.q.scale != y.q.scale || x.q.zero_point != y.q.zero_point))
          fail(who + "'s output is quantized differently from its input");
        break;
      case OpKind::Add:
        if (op.inputs.size() < 2) fail(who + " has fewer than 2 inputs");
        for (int32_t in : op.inputs)
          if (tensors[size_t(in)].shape != y.shape)
            fail(who + " adds " + shape_str(tensors[size_t(in)].shape) + " into " + shape_str(y.shape));
        break;
      case OpKind::Concatenate: {
        if (op.inputs.size() < 2) fail(who + " has fewer than 2 inputs");
        std::vector<int64_t> s = x.shape;
        s.back() = 0;
        for (int32_t in : op.inputs) {
          const auto& si = tensors[size_t(in)].shape;
          if (si.size() != s.size() || !std::equal(si.begin(), si.end() - 1, s.begin()))
            fail(who + " joins " + shape_str(si) + " with " + shape_str(x.shape) + " along the last axis");
          s.back() += si.back();
        }
        expect_shape(s);
        break;
      }
      case OpKind::Reshape:
        expect_inputs(1);
        if (numel(op.inputs[0]) != numel(op.output))
          fail(who + " reshapes " + shape_str(x.shape) + " into " + shape_str(y.shape));
        if (x.q.scale != y.q.scale || x.q.zero_point != y.q.zero_point)
          fail(who + "'s output is quantized differently from its input");
        break;
      default:
        fail(who + " has unknown op code " + std::to_string(int(op.kind)));
    }
    ready[out] = true;
  }
  if (!ready[size_t(output)]) fail("no op writes the model output, tensor " + std::to_string(output));
}

}  // namespace nabla::lite
