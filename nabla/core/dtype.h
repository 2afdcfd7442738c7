#pragma once
// Element types a Tensor can hold, and the switch that turns a runtime dtype into a C++ type.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nabla/core/error.h"

namespace nabla {

enum class DType : uint8_t { f32, f64, i32, i64, u8 };

inline constexpr DType f32 = DType::f32;
inline constexpr DType f64 = DType::f64;
inline constexpr DType i32 = DType::i32;
inline constexpr DType i64 = DType::i64;
inline constexpr DType u8 = DType::u8;

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::u8: return 1;
  }
  return 0;
}
constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::u8: return "uint8";
  }
  return "?";
}
constexpr bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }

}  // namespace nabla

// NABLA_DISPATCH_FLOAT(dtype, T, body): runs body with T = float or double.
#define NABLA_DISPATCH_FLOAT(DT, T, ...)                                              \
  switch (DT) {                                                                       \
    case ::nabla::DType::f32: { using T = float; __VA_ARGS__; break; }                \
    case ::nabla::DType::f64: { using T = double; __VA_ARGS__; break; }               \
    default: throw ::nabla::Error(std::string("expected a floating dtype, got ") +     \
                                  ::nabla::dtype_name(DT));                           \
  }
// NABLA_DISPATCH_ALL(dtype, T, body): runs body with T set to the dtype's C++ type.
#define NABLA_DISPATCH_ALL(DT, T, ...)                                                \
  switch (DT) {                                                                       \
    case ::nabla::DType::f32: { using T = float; __VA_ARGS__; break; }                \
    case ::nabla::DType::f64: { using T = double; __VA_ARGS__; break; }               \
    case ::nabla::DType::i32: { using T = int32_t; __VA_ARGS__; break; }              \
    case ::nabla::DType::i64: { using T = int64_t; __VA_ARGS__; break; }              \
    case ::nabla::DType::u8: { using T = uint8_t; __VA_ARGS__; break; }               \
  }
