#pragma once
// The quantized model nabla/lite runs: a graph of int8 ops over u8 activations, in topological order, as
// nabla::lite::quantize produces it, .nblite files hold it (docs/nblite.md) and lite::Interpreter runs it.
// Plain data: no dependency beyond the standard library.
//
// Activations are per-tensor asymmetric u8: real = scale * (q - zero_point). Weights are per-output-channel
// symmetric s8: real = weight_scales[o] * q. Biases are s32 in the accumulator's scale s_in * s_w[o].
#include <cstdint>
#include <string>
#include <vector>

namespace nabla::lite {

struct QuantParams {
  float scale = 1.f;
  int32_t zero_point = 0;  // 0..255
};

// The file's op codes (docs/nblite.md): never renumber.
enum class OpKind : uint8_t {
  Dense = 1,            // y = x[.., K] W[K, N] + b over the last axis
  Conv2D = 2,           // NHWC, weights HWIO
  MaxPooling2D = 3,
  AveragePooling2D = 4, // padding excluded from the average (Keras)
  Add = 5,              // requantizes each input into the output's scale
  Concatenate = 6,      // along the last axis, each input requantized into the output's scale
  Reshape = 7,          // Flatten/Reshape: the same bytes under another shape
};
const char* op_kind_name(OpKind k);

struct QTensor {
  std::string name;
  std::vector<int64_t> shape;  // without the batch axis
  QuantParams q;
  // Graph outputs produced by Dense/Conv2D come out of the kernel as float32 (no requantization); every other
  // tensor is u8.
  bool is_float = false;
  // How the range was calibrated ("minmax", "percentile 99.99", "relu", ...), for reports; not used at run time.
  std::string calibration;
};

struct QOp {
  OpKind kind = OpKind::Dense;
  std::string name;  // the source layer's name
  std::vector<int32_t> inputs;
  int32_t output = -1;
  // Dense: [K, N]; Conv2D: HWIO [kh, kw, c, o]; per output channel scales; bias (empty: none).
  std::vector<int8_t> weights;
  std::vector<float> weight_scales;
  std::vector<int32_t> bias;
  bool relu = false;  // fused ReLU
  // Conv2D and pooling: window, strides, dilation and explicit padding (top, left, bottom, right).
  int32_t kh = 0, kw = 0, sh = 1, sw = 1, dh = 1, dw = 1;
  int32_t pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
};

struct QModel {
  std::string name;
  std::vector<QTensor> tensors;
  std::vector<QOp> ops;  // topological order
  int32_t input = 0;     // float input, quantized with tensors[input].q
  int32_t output = 0;    // returned as float32 (dequantized if it is u8)
  bool output_softmax = false;  // softmax over the last axis, in float32, after dequantization
  int weight_bits = 8;          // 8: [-127, 127]; 7: [-63, 63] (CPUs without VNNI, see docs/nblite.md)

  // Checks the graph's internal consistency (ids in range, shapes against weights and geometry, each tensor
  // produced once before use); throws ValueError naming `where`, the op and what is wrong.
  void validate(const std::string& where) const;
  int64_t numel(int32_t tensor) const;
};

}  // namespace nabla::lite
