#include "nabla/data/datasets/loaded_data.h"

#include <cstdlib>

#include "nabla/core/error.h"

namespace nabla::datasets {

std::string data_dir() {
  if (const char* d = std::getenv("NABLA_DATA"); d && *d) return d;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.nabla/datasets";
  throw IOError("cannot locate the datasets: neither NABLA_DATA nor HOME is set");
}

}  // namespace nabla::datasets
