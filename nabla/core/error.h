#pragma once
// Errors nabla throws. Every message names what was wrong and where (layer, file, offset, shapes).
#include <sstream>
#include <stdexcept>
#include <string>

namespace nabla {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ShapeError : Error {
  using Error::Error;
};
struct ValueError : Error {
  using Error::Error;
};
struct IOError : Error {
  using Error::Error;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace nabla

#define NABLA_CHECK(cond, ...)                                        \
  do {                                                                \
    if (!(cond)) throw ::nabla::Error(::nabla::detail::concat(__VA_ARGS__)); \
  } while (0)
// Argument errors (Keras raises ValueError for these).
#define NABLA_CHECK_VALUE(cond, ...)                                  \
  do {                                                                \
    if (!(cond)) throw ::nabla::ValueError(::nabla::detail::concat(__VA_ARGS__)); \
  } while (0)
#define NABLA_CHECK_SHAPE(cond, ...)                                  \
  do {                                                                \
    if (!(cond)) throw ::nabla::ShapeError(::nabla::detail::concat(__VA_ARGS__)); \
  } while (0)
