// Users' classes registered under Keras's "package>Name" serialize with module null and that registered_name,
// and come back as the same class with the same config (layers are covered in roundtrip_test.cpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nabla/nabla.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/optim/schedules.h"
#include "test_util.h"

using namespace nabla;
using json = nlohmann::json;

namespace {

class ScaledL2 : public nn::RegularizerBase {
 public:
  explicit ScaledL2(double f) : f_(f) {}
  Tensor penalty(const Tensor& w) const override { return sum(square(w)) * f_; }
  std::string class_name() const override { return "ScaledL2"; }
  json get_config() const override { return {{"f", f_}}; }
  static std::shared_ptr<ScaledL2> from_config(const json& c) { return std::make_shared<ScaledL2>(c.at("f").get<double>()); }

 private:
  double f_;
};

class Fill : public nn::InitializerBase {
 public:
  explicit Fill(double v) : v_(v) {}
  void fill(Tensor& t) const override { t.fill_(v_); }
  std::string class_name() const override { return "Fill"; }
  json get_config() const override { return {{"v", v_}}; }
  static std::shared_ptr<Fill> from_config(const json& c) { return std::make_shared<Fill>(c.at("v").get<double>()); }

 private:
  double v_;
};

class Halving : public optim::Schedule {
 public:
  explicit Halving(double lr) : lr_(lr) {}
  double operator()(int64_t step) const override { return lr_ / double(1 + step); }
  std::string class_name() const override { return "Halving"; }
  json get_config() const override { return {{"lr", lr_}}; }
  static std::shared_ptr<Halving> from_config(const json& c) { return std::make_shared<Halving>(c.at("lr").get<double>()); }

 private:
  double lr_;
};

class Cubed : public losses::Loss {
 public:
  explicit Cubed(double k = 1) : Loss("cubed"), k_(k) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override {
    Tensor d = y_pred - y_true;
    return losses::mean_per_sample(d * d * d) * k_;
  }
  json get_config() const override {
    json c = Loss::get_config();
    c["k"] = k_;
    return c;
  }
  static std::shared_ptr<Cubed> from_config(const json& c) { return std::make_shared<Cubed>(c.at("k").get<double>()); }

 private:
  double k_;
};

}  // namespace

TEST(CustomClasses, RegisterAndRoundTrip) {
  nn::register_regularizer<ScaledL2>("Tests>ScaledL2");
  nn::register_initializer<Fill>("Tests>Fill");
  optim::register_schedule<Halving>("Tests>Halving");
  losses::register_loss<Cubed>("Tests>Cubed");

  auto d = layers::Dense(2, "", {.kernel_initializer = nn::Initializer(std::make_shared<Fill>(0.5)),
                                 .kernel_regularizer = nn::Regularizer(std::make_shared<ScaledL2>(3.0))});
  d->ensure_built({Shape{-1, 2}});
  json j = nn::serialize_layer(*d);
  const json& reg = j["config"]["kernel_regularizer"];
  EXPECT_TRUE(reg["module"].is_null());
  EXPECT_EQ(reg["class_name"], "ScaledL2");
  EXPECT_EQ(reg["registered_name"], "Tests>ScaledL2");
  EXPECT_EQ(j["config"]["kernel_initializer"]["registered_name"], "Tests>Fill");
  auto back = nn::deserialize_layer(j);
  EXPECT_EQ(nn::serialize_layer(*back), j);
  nabla::testing::expect_close(back->weight("kernel"), Tensor::full({2, 2}, 0.5), 0, 0);
  ASSERT_EQ(back->regularization_losses().size(), 1u);
  EXPECT_NEAR(back->regularization_losses()[0].item(), 3.0 * 4 * 0.25, 1e-6);

  optim::SGDOptions o;
  o.schedule = optim::make_schedule(std::make_shared<Halving>(0.4));
  json oj = optim::serialize(optim::SGD(o));
  EXPECT_EQ(oj["config"]["learning_rate"]["registered_name"], "Tests>Halving");
  auto opt = optim::deserialize(oj);
  opt->set_iterations(3);
  EXPECT_DOUBLE_EQ(opt->learning_rate(), 0.1);
  EXPECT_EQ(optim::serialize(*opt), oj);

  json lj = losses::serialize(Cubed(2.0));
  EXPECT_EQ(lj["registered_name"], "Tests>Cubed");
  EXPECT_EQ(lj["config"]["k"], 2.0);
  auto loss = losses::deserialize(lj);
  EXPECT_EQ(losses::serialize(*loss), lj);

  // An unregistered custom loss cannot be described and says how to fix it.
  struct Plain : losses::Loss {
    Plain() : Loss("plain") {}
    Tensor per_sample(const Tensor& t, const Tensor& p) const override { return losses::mean_per_sample(p - t); }
  };
  nabla::testing::expect_error_contains([] { losses::serialize(Plain()); }, {"plain", "register_loss"});
}
