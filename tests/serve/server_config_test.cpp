// TF Serving's text-format config files: model_config_list and batching parameters.
#include "nabla/serve/server_config.h"

#include <gtest/gtest.h>

#include "nabla/core/error.h"
#include "nabla/serve/text_proto.h"
#include "test_util.h"

namespace nabla::serve {
namespace {

using nabla::testing::expect_error_contains;

TEST(TextProto, ScalarsMessagesListsAndComments) {
  const TextProtoMessage m = parse_text_proto(R"(
    # comment
    a: 1  b: 'x' "y"   # adjacent strings concatenate
    c { d: true }
    e: { f: -2.5 }
    g < h: ENUM_VALUE >
    i: [1, 2, 3];
    j: "tab\tquote\"")", "t.config");
  ASSERT_EQ(m.fields.size(), 9u);
  EXPECT_EQ(m.fields[0].scalar, "1");
  EXPECT_EQ(m.fields[1].scalar, "xy");
  EXPECT_TRUE(m.fields[1].quoted);
  EXPECT_TRUE(m.fields[2].is_message);
  EXPECT_EQ(m.fields[3].message->fields[0].scalar, "-2.5");
  EXPECT_EQ(m.fields[4].message->fields[0].scalar, "ENUM_VALUE");
  EXPECT_EQ(m.fields[5].name, "i");
  EXPECT_EQ(m.fields[7].scalar, "3");
  EXPECT_EQ(m.fields[8].scalar, "tab\tquote\"");
  EXPECT_EQ(m.fields[2].line, 4);
}

TEST(TextProto, SyntaxErrorsNameFileAndLine) {
  expect_error_contains<ValueError>([] { parse_text_proto("a {\n b: 1\n", "m.config"); },
                                    {"m.config:3", "expected '}'"});
  expect_error_contains<ValueError>([] { parse_text_proto("a: 'open\n", "m.config"); },
                                    {"m.config:1", "unterminated string"});
  expect_error_contains<ValueError>([] { parse_text_proto("a 1", "m.config"); }, {"expected ':' or '{' after 'a'"});
  expect_error_contains<ValueError>([] { parse_text_proto(std::string(100, '{'), "m.config"); }, {"m.config:1"});
}

TEST(ModelConfigList, PoliciesAndLabels) {
  const auto models = parse_model_config_list(R"(
model_config_list {
  config {
    name: 'mnist'
    base_path: '/models/mnist/'
    model_platform: 'tensorflow'
    model_version_policy { specific { versions: 42 versions: 43 } }
    version_labels { key: 'stable' value: 42 }
    version_labels { key: 'canary' value: 43 }
  }
  config {
    name: "all"
    base_path: "/models/all"
    model_version_policy: { all: {} }
  }
  config { name: "latest" base_path: "/m" model_version_policy { latest { num_versions: 2 } } }
  config { name: "default" base_path: "/d" }
})", "models.config");
  ASSERT_EQ(models.size(), 4u);
  EXPECT_EQ(models[0].name, "mnist");
  EXPECT_EQ(models[0].base_path, "/models/mnist/");
  EXPECT_EQ(models[0].version_policy.kind, VersionPolicy::Kind::kSpecific);
  EXPECT_EQ(models[0].version_policy.versions, (std::vector<int64_t>{42, 43}));
  EXPECT_EQ(models[0].version_labels.at("stable"), 42);
  EXPECT_EQ(models[0].version_labels.at("canary"), 43);
  EXPECT_EQ(models[1].version_policy.kind, VersionPolicy::Kind::kAll);
  EXPECT_EQ(models[2].version_policy.kind, VersionPolicy::Kind::kLatest);
  EXPECT_EQ(models[2].version_policy.num_versions, 2);
  EXPECT_EQ(models[3].version_policy.kind, VersionPolicy::Kind::kLatest);
  EXPECT_EQ(models[3].version_policy.num_versions, 1);
}

TEST(ModelConfigList, ErrorsNameTheLineAndField) {
  expect_error_contains<ValueError>(
      [] { parse_model_config_list("model_config_list {\n config {\n name: 'a'\n base_path: '/a'\n bogus: 1\n }\n}", "c.cfg"); },
      {"c.cfg:5", "unknown field 'bogus' in ModelConfig"});
  expect_error_contains<ValueError>([] { parse_model_config_list("model_config_list { config { name: 'a' } }", "c.cfg"); },
                                    {"has no base_path"});
  expect_error_contains<ValueError>(
      [] {
        parse_model_config_list("model_config_list { config { name: 'a' base_path: '/a' } config { name: 'a' base_path: '/b' } }",
                                "c.cfg");
      },
      {"configured twice"});
  expect_error_contains<ValueError>(
      [] {
        parse_model_config_list(
            "model_config_list { config { name: 'a' base_path: '/a' model_version_policy { latest { num_versions: x } } } }",
            "c.cfg");
      },
      {"expects an integer, got 'x'"});
  expect_error_contains<ValueError>([] { parse_model_config_list("", "c.cfg"); }, {"no model_config_list"});
}

TEST(BatchingParameters, TfServingSyntax) {
  const BatchingParameters p = parse_batching_parameters(R"(
max_batch_size { value: 128 }
batch_timeout_micros { value: 500 }
max_enqueued_batches { value: 4 }
num_batch_threads { value: 2 }
allowed_batch_sizes: 32
allowed_batch_sizes: 64
allowed_batch_sizes: 128
pad_variable_length_inputs: true
)", "batching.config");
  EXPECT_EQ(p.max_batch_size, 128);
  EXPECT_EQ(p.batch_timeout_micros, 500);
  EXPECT_EQ(p.max_enqueued_batches, 4);
  EXPECT_EQ(p.num_batch_threads, 2);
  EXPECT_EQ(p.allowed_batch_sizes, (std::vector<int64_t>{32, 64, 128}));
  EXPECT_TRUE(p.pad_variable_length_inputs);
}

TEST(BatchingParameters, InvalidValues) {
  expect_error_contains<ValueError>(
      [] { parse_batching_parameters("max_batch_size { value: 8 }\nallowed_batch_sizes: 4", "b.cfg"); },
      {"final entry in allowed_batch_sizes must equal max_batch_size"});
  expect_error_contains<ValueError>(
      [] { parse_batching_parameters("max_batch_size { value: 8 }\nallowed_batch_sizes: 4\nallowed_batch_sizes: 2", "b.cfg"); },
      {"monotonically increasing"});
  expect_error_contains<ValueError>([] { parse_batching_parameters("max_batch_size { val: 8 }", "b.cfg"); },
                                    {"b.cfg:1", "unknown field 'val'"});
  expect_error_contains<ValueError>([] { parse_batching_parameters("max_batch_size { value: 0 }", "b.cfg"); },
                                    {"max_batch_size must be at least 1"});
}

}  // namespace
}  // namespace nabla::serve
