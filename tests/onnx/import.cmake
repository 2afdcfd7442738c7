# tests/onnx, the import half: load_model("m.onnx") against PyTorch and tf2onnx (included from tests/CMakeLists.txt).
# The ctest fixture 'onnx_import_fixtures' first runs make_import_fixtures.py with Debian's python3-torch
# (NABLA_PYTHON, /usr/bin/python3): it exports small torch models to ONNX in the build directory with torch's
# outputs; the gtest cases (onnx_import.*) then load them in nabla and compare. The tf2onnx fixture (a Keras
# model) is committed in tests/onnx/data with make_tf2onnx_fixture.py, which made it (it needs TensorFlow).
# The test sources are not *_test.cpp, so tests/CMakeLists.txt's per-folder loop leaves them to this file.
set(NABLA_ONNX_IMPORT_FIXTURES ${CMAKE_CURRENT_BINARY_DIR}/onnx_import_fixtures)
nabla_add_gtest_executable(nabla_onnx_import_tests ${CMAKE_CURRENT_SOURCE_DIR}/onnx/import_cases.cpp)
target_link_libraries(nabla_onnx_import_tests PRIVATE onnx_proto protobuf::libprotobuf)
# The malformed-model cases build ModelProtos with libonnx's generated classes, as the importer reads them.
target_compile_definitions(nabla_onnx_import_tests PRIVATE ONNX_ML=1 ONNX_NAMESPACE=onnx
                           NABLA_ONNX_IMPORT_FIXTURES="${NABLA_ONNX_IMPORT_FIXTURES}")
add_test(NAME onnx_import_make_fixtures
         COMMAND ${NABLA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/onnx/make_import_fixtures.py --out ${NABLA_ONNX_IMPORT_FIXTURES})
set_tests_properties(onnx_import_make_fixtures PROPERTIES FIXTURES_SETUP onnx_import_fixtures TIMEOUT 300)
gtest_discover_tests(nabla_onnx_import_tests TEST_PREFIX onnx_import. DISCOVERY_TIMEOUT 60
                     PROPERTIES FIXTURES_REQUIRED onnx_import_fixtures TIMEOUT 600)
# The command-line tools on an imported model: nabla-inspect lists the graph, nabla-convert writes a .keras.
add_test(NAME onnx_import.nabla_inspect
         COMMAND $<TARGET_FILE:nabla-inspect> ${NABLA_ONNX_IMPORT_FIXTURES}/cnn_bn.onnx)
set_tests_properties(onnx_import.nabla_inspect PROPERTIES FIXTURES_REQUIRED onnx_import_fixtures
                     PASS_REGULAR_EXPRESSION "ops: 10 nodes.*BatchNormalization x2.*Conv x2.*Gemm x1")
add_test(NAME onnx_import.nabla_convert
         COMMAND ${CMAKE_COMMAND} -E chdir ${NABLA_ONNX_IMPORT_FIXTURES}
                 $<TARGET_FILE:nabla-convert> cnn_bn.onnx cnn_bn_converted.keras)
set_tests_properties(onnx_import.nabla_convert PROPERTIES FIXTURES_REQUIRED onnx_import_fixtures)
# ... and Keras 3 (the project venv) loads that .keras and predicts what torch predicted.
add_test(NAME onnx_import.converted_keras_in_keras
         COMMAND ${NABLA_INTEROP_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/onnx/check_converted_keras.py
                 ${NABLA_ONNX_IMPORT_FIXTURES}/cnn_bn_converted.keras ${NABLA_ONNX_IMPORT_FIXTURES}/cnn_bn.json)
set_tests_properties(onnx_import.nabla_convert PROPERTIES FIXTURES_SETUP onnx_import_converted)
set_tests_properties(onnx_import.converted_keras_in_keras PROPERTIES
                     FIXTURES_REQUIRED "onnx_import_fixtures;onnx_import_converted" TIMEOUT 300
                     ENVIRONMENT "KERAS_BACKEND=tensorflow;TF_CPP_MIN_LOG_LEVEL=3;CUDA_VISIBLE_DEVICES=")
