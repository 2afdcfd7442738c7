// Helpers shared by the stages: seeds, error wrapping, stacking rows into a batch.
#include <cstring>

#include "nabla/core/random.h"
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {

uint64_t draw_seed() { return default_generator().next_u64(); }

std::exception_ptr wrap_error(const char* stage, int64_t index) {
  try {
    throw;
  } catch (const PipelineError&) {
    // Already names where it failed (a nested stage); keep the innermost location.
    return std::current_exception();
  } catch (const std::exception& e) {
    return std::make_exception_ptr(
        PipelineError(nabla::detail::concat(stage, ": failed on element ", index, ": ", e.what()), index));
  } catch (...) {
    return std::make_exception_ptr(
        PipelineError(nabla::detail::concat(stage, ": failed on element ", index, ": unknown exception"), index));
  }
}

Tensor stack_rows(const std::vector<Tensor>& parts, const char* what) {
  NABLA_CHECK(!parts.empty(), what, ": nothing to stack");
  const Tensor& first = parts[0];
  Shape s = first.shape();
  for (size_t i = 1; i < parts.size(); ++i) {
    NABLA_CHECK_SHAPE(parts[i].shape() == s && parts[i].dtype() == first.dtype(), what,
                      ": elements must have equal shapes and dtypes to be batched, but element 0 is ",
                      dtype_name(first.dtype()), " ", s.str(), " and element ", i, " is ",
                      dtype_name(parts[i].dtype()), " ", parts[i].shape().str(), " (use padded_batch)");
  }
  Shape os = s;
  os.insert(0, int64_t(parts.size()));
  Tensor out = make_tensor(os, first.dtype());
  size_t row = first.nbytes();
  char* dst = static_cast<char*>(out.raw_data());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].is_contiguous()) {
      if (row) std::memcpy(dst + i * row, parts[i].raw_data(), row);
    } else {
      make_view(out, s, contiguous_strides(s), int64_t(i) * s.numel()).copy_(parts[i]);
    }
  }
  return out;
}

}  // namespace nabla::data::detail
