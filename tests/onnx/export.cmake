# ONNX export (nabla/io/onnx_export.*), included from tests/CMakeLists.txt. nabla_onnx_export_tests writes the
# test models with nabla's predictions (ctest onnx.export.models, a fixture); then the real implementations judge
# them: onnx 1.12's checker and shape inference (Debian's python3-onnx) and ONNX Runtime 1.30 (npm's
# onnxruntime-node in .node/, installed by scripts/setup). They fail, not skip, when those are missing.
nabla_add_gtest_executable(nabla_onnx_export_tests ${CMAKE_CURRENT_SOURCE_DIR}/onnx/export_models.cpp)
# The structural checks read the file back with libonnx's generated protobuf classes.
target_link_libraries(nabla_onnx_export_tests PRIVATE onnx_proto protobuf::libprotobuf)
set(NABLA_ONNX_EXPORT_DIR ${CMAKE_CURRENT_BINARY_DIR}/onnx_export)
target_compile_definitions(nabla_onnx_export_tests PRIVATE ONNX_ML=1 ONNX_NAMESPACE=onnx
                                                           NABLA_ONNX_EXPORT_DIR="${NABLA_ONNX_EXPORT_DIR}")

set(NABLA_ONNX_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with the onnx package (Debian's python3-onnx)")
set(NABLA_NODE_MODULES ${CMAKE_SOURCE_DIR}/.node/node_modules CACHE PATH
    "node_modules with @tensorflow/tfjs 4.22 and onnxruntime-node 1.30 (scripts/setup installs tools/js/package.json there)")
find_program(NABLA_NODE node)
if(NOT NABLA_NODE)
  set(NABLA_NODE node)  # the tests then fail with "not found"
endif()

add_test(NAME onnx.export.models COMMAND nabla_onnx_export_tests)
set_tests_properties(onnx.export.models PROPERTIES FIXTURES_SETUP onnx_export TIMEOUT 300)
add_test(NAME onnx.export.checker
         COMMAND ${NABLA_ONNX_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/onnx/check_models.py ${NABLA_ONNX_EXPORT_DIR})
add_test(NAME onnx.export.ort
         COMMAND ${NABLA_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/onnx/ort_run.cjs ${NABLA_ONNX_EXPORT_DIR})
# nabla-convert: .keras -> .onnx through save_model's dispatch; the result must pass the checker and predict as
# the direct export (mlp.json's outputs).
add_test(NAME onnx.export.convert
         COMMAND sh -c "\"$0\" \"$1/mlp.keras\" \"$1/convert/mlp.onnx\" && \"$2\" \"$3\" \"$1/convert/mlp.onnx\" && \"$4\" \"$5\" \"$1\" mlp \"$1/convert/mlp.onnx\""
                 $<TARGET_FILE:nabla-convert> ${NABLA_ONNX_EXPORT_DIR} ${NABLA_ONNX_PYTHON}
                 ${CMAKE_CURRENT_SOURCE_DIR}/onnx/check_models.py ${NABLA_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/onnx/ort_run.cjs)
set_tests_properties(onnx.export.checker onnx.export.ort onnx.export.convert PROPERTIES
                     FIXTURES_REQUIRED onnx_export TIMEOUT 300 ENVIRONMENT "NODE_PATH=${NABLA_NODE_MODULES}")
