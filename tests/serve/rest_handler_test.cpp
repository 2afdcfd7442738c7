// The REST routes and their status codes, on in-memory servables (no sockets).
#include "nabla/serve/rest_handler.h"

#include <gtest/gtest.h>

#include "nabla/serve/json_tensor.h"
#include "serve_test_util.h"

namespace nabla::serve {
namespace {

using testing::small_model;

struct RestHandlerTest : ::testing::Test {
  RestHandlerTest() : manager({}), handler(manager, metrics) {
    v1 = small_model();
    v2 = small_model();
    manager.add_servable(std::make_shared<Servable>("m", 1, v1));
    manager.add_servable(std::make_shared<Servable>("m", 2, v2));
  }
  HttpResponse get(const std::string& path) { return handler.handle({"GET", path, ""}); }
  HttpResponse post(const std::string& path, const std::string& body) { return handler.handle({"POST", path, body}); }
  static std::string error_of(const HttpResponse& r) { return nlohmann::json::parse(r.body).at("error").get<std::string>(); }

  Metrics metrics;
  ModelManager manager;
  RestHandler handler;
  std::shared_ptr<Sequential> v1, v2;
};

std::vector<std::vector<float>> rows_of(const Tensor& t) {
  std::vector<std::vector<float>> r(size_t(t.shape()[0]));
  for (int64_t i = 0; i < t.shape()[0]; ++i)
    r[size_t(i)].assign(t.data<float>() + i * t.shape()[1], t.data<float>() + (i + 1) * t.shape()[1]);
  return r;
}

void expect_predictions(const nlohmann::json& got, const Tensor& want) {
  const auto rows = rows_of(want.contiguous());
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) EXPECT_NEAR(got[i][j].get<double>(), rows[i][j], 1e-6);
}

TEST_F(RestHandlerTest, PredictRowAndColumnarOnLatestAndGivenVersion) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, -1, 0, 0.5f, 2}, Shape{2, 4});
  HttpResponse r = post("/v1/models/m:predict", R"({"instances": [[1, 2, 3, 4], [-1, 0, 0.5, 2]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  expect_predictions(nlohmann::json::parse(r.body).at("predictions"), v2->predict_on_batch(x));
  r = post("/v1/models/m/versions/1:predict", R"({"inputs": [[1, 2, 3, 4], [-1, 0, 0.5, 2]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  expect_predictions(nlohmann::json::parse(r.body).at("outputs"), v1->predict_on_batch(x));
  // Case-insensitive fixed parts, as TF Serving's (?i) regex.
  EXPECT_EQ(post("/V1/Models/m/Versions/1:Predict", R"({"instances": [[1, 2, 3, 4]]})").status, 200);
}

TEST_F(RestHandlerTest, StatusAndMetadata) {
  HttpResponse r = get("/v1/models/m");
  ASSERT_EQ(r.status, 200);
  const auto status = nlohmann::json::parse(r.body).at("model_version_status");
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].at("version"), "2");
  EXPECT_EQ(status[0].at("state"), "AVAILABLE");
  EXPECT_EQ(status[0].at("status").at("error_code"), "OK");
  r = get("/v1/models/m/versions/1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body).at("model_version_status").size(), 1u);

  r = get("/v1/models/m/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto md = nlohmann::json::parse(r.body);
  EXPECT_EQ(md.at("model_spec").at("version"), "2");
  const auto sig = md.at("metadata").at("signature_def").at("signature_def").at("serving_default");
  EXPECT_EQ(sig.at("method_name"), "tensorflow/serving/predict");
  ASSERT_EQ(sig.at("inputs").size(), 1u);
  const auto in = sig.at("inputs").begin().value();
  EXPECT_EQ(in.at("dtype"), "DT_FLOAT");
  EXPECT_EQ(in.at("tensor_shape").at("dim")[0].at("size"), "-1");
  EXPECT_EQ(in.at("tensor_shape").at("dim")[1].at("size"), "4");
  const auto out = sig.at("outputs").begin().value();
  EXPECT_EQ(out.at("tensor_shape").at("dim")[1].at("size"), "3");
}

TEST_F(RestHandlerTest, NotFoundAndMalformed) {
  HttpResponse r = post("/v1/models/nope:predict", R"({"instances": [[1, 2, 3, 4]]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "Servable not found for request: Latest(nope)");
  r = post("/v1/models/m/versions/7:predict", R"({"instances": [[1, 2, 3, 4]]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "Servable not found for request: Specific(m, 7)");
  r = post("/v1/models/m/labels/stable:predict", R"({"instances": [[1, 2, 3, 4]]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "Unrecognized servable version label: stable");
  r = get("/v1/models/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "Could not find any versions of model nope");
  r = get("/v1/models/m/versions/9");
  EXPECT_EQ(error_of(r), "Could not find version 9 of model m");
  r = get("/v1/models/m/versions/99999999999999999999999");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("Failed to convert version"), std::string::npos);
  r = get("/v1/foo");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "Malformed request: GET /v1/foo");
  EXPECT_EQ(post("/v1/models/m:explain", "{}").status, 400);
  EXPECT_EQ(handler.handle({"DELETE", "/v1/models/m", ""}).status, 400);
  EXPECT_EQ(get("/v1/models").status, 400);
  EXPECT_EQ(get("/elsewhere").status, 404);
}

TEST_F(RestHandlerTest, BadRequestsAre400WithTheReason) {
  HttpResponse r = post("/v1/models/m:predict", R"({"instances": [[1, 2, 3, 4]])");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("JSON Parse error"), std::string::npos);
  r = post("/v1/models/m:predict", R"({"instances": [[1, 2, 3]]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("[1,3]"), std::string::npos) << error_of(r);
  EXPECT_NE(error_of(r).find("[-1,4]"), std::string::npos) << error_of(r);
  r = post("/v1/models/m:predict", R"({"instances": [["a", 2, 3, 4]]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("is not of expected type: float"), std::string::npos);
}

TEST_F(RestHandlerTest, ClassifyAndRegressAnswerAsForAPredictOnlyModel) {
  HttpResponse r = post("/v1/models/m:classify", R"({"examples": [{"x": [1, 2, 3, 4]}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "Expected classification signature method_name to be tensorflow/serving/classify. Was: "
                         "tensorflow/serving/predict");
  r = post("/v1/models/m:regress", R"({"examples": [{"x": 1}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "Expected regression signature method_name to be tensorflow/serving/regress. Was: "
                         "tensorflow/serving/predict");
  EXPECT_EQ(post("/v1/models/nope:regress", R"({"examples": [{"x": 1}]})").status, 404);
  EXPECT_EQ(post("/v1/models/m:classify", "{").status, 400);
}

TEST_F(RestHandlerTest, NoAvailableVersionIs503) {
  ModelConfig empty;
  empty.name = "empty";
  empty.base_path = nabla::testing::temp_dir() + "/no_such_dir";
  ModelManager mm({empty});
  mm.poll_once();
  RestHandler h(mm, metrics);
  HttpResponse r = h.handle({"POST", "/v1/models/empty:predict", R"({"instances": [[1, 2, 3, 4]]})"});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(nlohmann::json::parse(r.body).at("error"), "Servable not found for request: Latest(empty)");
  EXPECT_EQ(h.handle({"GET", "/readyz", ""}).status, 503);
}

TEST_F(RestHandlerTest, ReadinessAndDraining) {
  EXPECT_EQ(get("/readyz").status, 200);
  EXPECT_EQ(get("/healthz").status, 200);
  handler.set_draining(true);
  EXPECT_EQ(get("/readyz").status, 503);
  EXPECT_EQ(post("/v1/models/m:predict", R"({"instances": [[1, 2, 3, 4]]})").status, 200);  // still answered
}

TEST_F(RestHandlerTest, PrometheusMetrics) {
  post("/v1/models/m:predict", R"({"instances": [[1, 2, 3, 4]]})");
  post("/v1/models/m:predict", R"({"instances": [[1, 2, 3]]})");
  post("/v1/models/unknown:predict", R"({"instances": [[1, 2, 3]]})");
  HttpResponse r = get("/monitoring/prometheus/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find("nabla_serve_requests_total{model=\"m\",version=\"2\",api=\"predict\",code=\"200\"} 1\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("nabla_serve_request_errors_total{model=\"m\",version=\"2\",api=\"predict\",code=\"400\"} 1\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("nabla_serve_request_latency_seconds_bucket{model=\"m\",version=\"2\",api=\"predict\",le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("nabla_serve_model_version_state{model=\"m\",version=\"1\",state=\"AVAILABLE\"} 1"),
            std::string::npos);
  EXPECT_EQ(r.body.find("unknown"), std::string::npos);  // unknown models get no series
}

TEST(RestHandlerMultiIo, NamedInputsAndOutputsInBothFormats) {
  auto a = Input({2}, "a"), b = Input({1}, "b");
  auto h = apply_layer(layers::Concatenate(), std::vector<KerasTensor>{a, b});
  auto model = std::make_shared<Functional>(std::vector<KerasTensor>{a, b},
                                            std::vector<KerasTensor>{apply_layer(layers::Dense(2), h),
                                                                     apply_layer(layers::Dense(1), h)});
  const std::vector<std::string> names = model->output_names();
  ASSERT_EQ(names.size(), 2u);
  Metrics metrics;
  ModelManager manager({});
  manager.add_servable(std::make_shared<Servable>("two", 1, model));
  RestHandler handler(manager, metrics);
  HttpResponse r = handler.handle({"POST", "/v1/models/two:predict",
                                   R"({"instances": [{"a": [1, 2], "b": [3]}, {"a": [4, 5], "b": [6]}]})"});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto rows = nlohmann::json::parse(r.body).at("predictions");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at(names[0]).size(), 2u);
  EXPECT_EQ(rows[0].at(names[1]).size(), 1u);
  auto want = model->predict_on_batch(std::vector<Tensor>{Tensor::from_vector(std::vector<float>{1, 2, 4, 5}, Shape{2, 2}),
                                                          Tensor::from_vector(std::vector<float>{3, 6}, Shape{2, 1})});
  EXPECT_NEAR(rows[1].at(names[1])[0].get<double>(), want[1].data<float>()[1], 1e-6);
  r = handler.handle({"POST", "/v1/models/two:predict", R"({"inputs": {"a": [[1, 2], [4, 5]], "b": [[3], [6]]}})"});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto cols = nlohmann::json::parse(r.body).at("outputs");
  EXPECT_EQ(cols.at(names[0]).size(), 2u);
  EXPECT_NEAR(cols.at(names[0])[1][0].get<double>(), want[0].data<float>()[2], 1e-6);
  // Metadata lists both inputs by name.
  const auto md = nlohmann::json::parse(handler.handle({"GET", "/v1/models/two/metadata", ""}).body);
  const auto sig = md["metadata"]["signature_def"]["signature_def"]["serving_default"];
  EXPECT_TRUE(sig["inputs"].contains("a"));
  EXPECT_TRUE(sig["inputs"].contains("b"));
  EXPECT_EQ(sig["outputs"].size(), 2u);
}

}  // namespace
}  // namespace nabla::serve
