#pragma once
// Keras's "valid" / "same" padding for sliding windows (convolution and pooling), one spatial axis at a time.
// "same": output = ceil(in / stride), padding total = max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0),
// the odd extra on the bottom/right (as TensorFlow does).
#include <cstdint>
#include <string>

namespace nabla {

enum class Padding { valid, same };

// "valid" or "same" (case-insensitive, as Keras); throws naming `who` otherwise.
Padding parse_padding(const std::string& name, const std::string& who);
const char* padding_name(Padding p);

struct Window1D {
  int64_t out = 0;           // output length (may be <= 0 for a window larger than a "valid" input)
  int64_t pad_before = 0;    // top / left
  int64_t pad_after = 0;     // bottom / right
};

Window1D window_1d(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, Padding padding);

}  // namespace nabla
