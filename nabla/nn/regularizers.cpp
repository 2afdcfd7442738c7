#include "nabla/nn/regularizers.h"

#include <mutex>

#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"

namespace nabla::nn {

using saving::json;

namespace {
class L1L2Reg : public RegularizerBase {
 public:
  // kind: "L1" (writes {l1}), "L2" (writes {l2}) or "L1L2" (writes both).
  L1L2Reg(double l1, double l2, std::string kind) : l1_(l1), l2_(l2), kind_(std::move(kind)) {
    NABLA_CHECK(l1 >= 0 && l2 >= 0, kind_, ": factors must be non-negative, got l1 ", l1, ", l2 ", l2);
  }
  Tensor penalty(const Tensor& w) const override {
    Tensor p;
    if (kind_ != "L2") p = sum(abs(w)) * l1_;
    if (kind_ != "L1") {
      Tensor q = sum(square(w)) * l2_;
      p = p.defined() ? p + q : q;
    }
    return p;
  }
  std::string class_name() const override { return kind_; }
  json get_config() const override {
    if (kind_ == "L1") return {{"l1", l1_}};
    if (kind_ == "L2") return {{"l2", l2_}};
    return {{"l1", l1_}, {"l2", l2_}};
  }

 private:
  double l1_, l2_;
  std::string kind_;
};

using RegRegistry = saving::Registry<const RegularizerBase>;
std::mutex registry_mu;
RegRegistry& registry() {
  static RegRegistry* r = [] {
    auto* reg = new RegRegistry("regularizer");
    const std::string who = "regularizer config";
    reg->add("L1", [who](const json& c) -> std::shared_ptr<const RegularizerBase> {
      return std::make_shared<L1L2Reg>(saving::get_double(c, "l1", 0.01, who), 0.0, "L1");
    });
    reg->add("L2", [who](const json& c) -> std::shared_ptr<const RegularizerBase> {
      return std::make_shared<L1L2Reg>(0.0, saving::get_double(c, "l2", 0.01, who), "L2");
    });
    reg->add("L1L2", [who](const json& c) -> std::shared_ptr<const RegularizerBase> {
      return std::make_shared<L1L2Reg>(saving::get_double(c, "l1", 0.0, who), saving::get_double(c, "l2", 0.0, who),
                                       "L1L2");
    });
    return reg;
  }();
  return *r;
}

Regularizer by_name(const std::string& n) {
  if (n == "l1") return regularizers::L1();
  if (n == "l2") return regularizers::L2();
  if (n == "l1_l2" || n == "l1l2") return regularizers::L1L2();
  throw ValueError("unknown regularizer '" + n + "' (known: l1, l2, l1_l2)");
}
}  // namespace

namespace regularizers {
Regularizer L1(double l1) { return Regularizer(std::make_shared<L1L2Reg>(l1, 0.0, "L1")); }
Regularizer L2(double l2) { return Regularizer(std::make_shared<L1L2Reg>(0.0, l2, "L2")); }
Regularizer L1L2(double l1, double l2) { return Regularizer(std::make_shared<L1L2Reg>(l1, l2, "L1L2")); }
}  // namespace regularizers

Regularizer::Regularizer(const char* name) : Regularizer(by_name(name)) {}
Regularizer::Regularizer(const std::string& name) : Regularizer(by_name(name)) {}
json Regularizer::get_config() const { return impl_->get_config(); }

void register_regularizer_factory(const std::string& registered_name,
                                  std::function<std::shared_ptr<const RegularizerBase>(const json&)> f,
                                  std::type_index type) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry().add(registered_name, std::move(f), type);
}

json serialize_regularizer(const Regularizer& r) {
  if (!r) return nullptr;
  std::string reg;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    const auto& impl = r.impl();  // typeid of a named reference: clang warns on typeid(call())
    reg = registry().registered_name(typeid(impl));
  }
  if (!reg.empty()) return saving::serialize_object("", saving::class_name_of_registered(reg), r.get_config(), reg);
  return saving::serialize_object("keras.regularizers", r.class_name(), r.get_config());
}

Regularizer deserialize_regularizer(const json& j) {
  if (j.is_null()) return Regularizer();
  if (j.is_string()) return Regularizer(j.get<std::string>());
  saving::ObjectSpec spec = saving::parse_object(j, "a regularizer");
  std::lock_guard<std::mutex> lock(registry_mu);
  return Regularizer(registry().create(spec));
}

}  // namespace nabla::nn
