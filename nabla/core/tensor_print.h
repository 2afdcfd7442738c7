#pragma once
// Printing tensors the way PyTorch does (torch/_tensor_str.py): values share one format chosen from all the
// values shown (integers as "1.", fixed "%.4f", or scientific "%.4e" when they span more than 1000x or leave
// [1e-4, 1e8)), rows wrap at the line width, and a tensor of more than `threshold` elements shows only
// `edgeitems` entries at each end of every dimension, with "..." between. nabla always names shape and dtype.
//
//   std::cout << Tensor::arange(3).to(f32);   // tensor([0., 1., 2.], shape=(3,), dtype=float32)
#include <cstdint>
#include <string>

namespace nabla {

class Tensor;

// torch.set_printoptions's fields and defaults.
struct PrintOptions {
  int precision = 4;         // digits after the point
  int64_t threshold = 1000;  // more elements than this are summarised
  int64_t edgeitems = 3;     // entries kept at each end of a summarised dimension
  int linewidth = 80;        // characters per line before a row wraps
};

// Process-wide, as in PyTorch. Not synchronised: set it before printing from several threads.
PrintOptions& print_options();
void set_printoptions(const PrintOptions& options);

std::string tensor_str(const Tensor& t, const PrintOptions& options = print_options());

}  // namespace nabla
