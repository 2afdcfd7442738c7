#pragma once
// History: what fit returns — per-epoch values of every logged metric (Keras's History.history).
#include <map>
#include <string>
#include <vector>

namespace nabla {

struct History {
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;
  const std::vector<double>& operator[](const std::string& key) const { return history.at(key); }
};

}  // namespace nabla
