#include "nabla/train/fit_observer.h"

#include <algorithm>
#include <mutex>

namespace nabla {
namespace {
std::mutex& mu() {
  static std::mutex m;
  return m;
}
std::vector<FitObserver*>& list() {
  static std::vector<FitObserver*> l;
  return l;
}
}  // namespace

void add_fit_observer(FitObserver* obs) {
  std::lock_guard<std::mutex> lock(mu());
  if (std::find(list().begin(), list().end(), obs) == list().end()) list().push_back(obs);
}

void remove_fit_observer(FitObserver* obs) {
  std::lock_guard<std::mutex> lock(mu());
  std::erase(list(), obs);
}

std::vector<FitObserver*> fit_observers() {
  std::lock_guard<std::mutex> lock(mu());
  return list();
}

}  // namespace nabla
