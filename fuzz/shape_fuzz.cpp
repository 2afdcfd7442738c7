// Shape arithmetic: element counts, strides, reshape (with -1), broadcasting and tensor creation on shapes the
// input spells out, checked against exact 128-bit arithmetic. A shape whose count or strides do not fit int64
// must be refused with ShapeError before anything is allocated.
//
// Input: byte 0 = rank of a small tensor x (0-8), then one byte per dimension (taken mod 4); then the target shape b,
// its rank from one byte (0-8), then per dimension one byte: 0-239 stand for themselves, 240-247 for a
// special value (-1, -2, 2^31, 2^32, 2^62, INT64_MAX, 2^61 + 1, 134676480) and 248-255 for the 8 bytes that
// follow (little-endian).
#include <cstring>
#include <limits>

#include "fuzz_util.h"
#include "nabla/nabla.h"

namespace {

using nabla::Shape;
using nabla::Tensor;

struct Reader {
  const uint8_t* p;
  size_t n;
  bool get(uint8_t& b) {
    if (!n) return false;
    b = *p++;
    --n;
    return true;
  }
  int64_t dim() {
    uint8_t b = 0;
    if (!get(b)) return 1;
    static constexpr int64_t kSpecial[] = {-1, -2, int64_t(1) << 31, int64_t(1) << 32, int64_t(1) << 62,
                                           std::numeric_limits<int64_t>::max(), (int64_t(1) << 61) + 1, 134676480};
    if (b < 240) return b;
    if (b < 248) return kSpecial[b - 240];
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      uint8_t c = 0;
      get(c);
      v |= uint64_t(c) << (8 * i);
    }
    return int64_t(v);
  }
};

// Whether the product of the (non-negative) non-zero dimensions fits int64, in 128-bit arithmetic: what
// fits_int64 must agree with. Each factor is below 2^63 and the product is checked after each step.
bool exact_fits(const Shape& s) {
  unsigned __int128 p = 1;
  const unsigned __int128 kLimit = std::numeric_limits<int64_t>::max();
  for (int64_t d : s) {
    if (d == 0) continue;
    p *= (unsigned __int128)d;
    if (p > kLimit) return false;
  }
  return true;
}

[[noreturn]] void fail(const char* what, const Shape& s) {
  std::fprintf(stderr, "shape fuzz: %s for shape %s\n", what, s.str().c_str());
  std::abort();
}

template <class F>
bool throws_shape_error(F&& fn) {
  try {
    fn();
  } catch (const nabla::ShapeError&) {
    return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  uint8_t rank = 0;
  in.get(rank);
  Shape a;
  for (int i = 0; i < rank % 9; ++i) {
    uint8_t b = 0;
    in.get(b);
    a.push_back(b % 4);  // x stays small: at most 3^8 elements
  }
  in.get(rank);
  Shape b;
  for (int i = 0; i < rank % 9; ++i) b.push_back(in.dim());

  bool nonneg = true;
  for (int64_t d : b) nonneg = nonneg && d >= 0;
  if (nonneg) {
    // (Negative dimensions only appear in symbolic shapes, never in a tensor's; they are left out here.)
    const bool fits = exact_fits(b);
    if (b.fits_int64() != fits) fail("fits_int64 disagrees with 128-bit arithmetic", b);
    if (fits) {
      // Strides must be the exact suffix products, the count the exact product.
      Shape st = contiguous_strides(b);
      __int128 acc = 1;
      for (int i = b.size() - 1; i >= 0; --i) {
        if (st[i] != acc) fail("wrong stride", b);
        acc *= b[i];
      }
      if (b.numel() != acc) fail("wrong numel", b);
      // Creating it must work when small and fail cleanly when the bytes do not fit int64.
      const bool bytes_fit = acc <= std::numeric_limits<int64_t>::max() / 8;
      if (acc <= (1 << 16)) {
        Tensor t = Tensor::zeros(b, nabla::f64);
        if (t.numel() != acc || t.nbytes() != size_t(acc) * 8) fail("wrong tensor size", b);
      } else if (!bytes_fit) {
        if (!throws_shape_error([&] { Tensor::empty(b, nabla::f64); })) fail("huge f64 tensor not refused", b);
      }
    } else {
      if (!throws_shape_error([&] { contiguous_strides(b); })) fail("strides overflow not refused", b);
      if (!throws_shape_error([&] { Tensor::empty(b, nabla::u8); })) fail("empty() overflow not refused", b);
    }
  }

  // reshape of a small tensor: either the shapes agree exactly or an Error says why.
  Tensor x = Tensor::arange(a.numel(), nabla::f32).reshape(a);
  try {
    Tensor y = x.reshape(b);
    if (y.numel() != x.numel() || y.shape().size() != b.size()) fail("reshape changed the element count", b);
    for (int i = 0; i < b.size(); ++i)
      if (b[i] != -1 && y.shape()[i] != b[i]) fail("reshape changed a given dimension", b);
    Tensor back = y.reshape(a);
    if (back.to_vector<float>() != x.to_vector<float>()) fail("reshape round trip lost data", b);
    (void)y.flatten().numel();
  } catch (const nabla::Error&) {
  }
  nabla::fuzz::expect_clean([&] {
    Shape r = nabla::broadcast_shapes(a, b);
    (void)r.fits_int64();
  });
  return 0;
}
