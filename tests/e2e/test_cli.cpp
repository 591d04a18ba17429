// The command line as a user meets it: exit codes, and error messages that name the file and the
// field. Each bad config is a separate test so a failure names the case.
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/e2e/cli_runner.h"

using conloc::test::make_temp_dir;
using conloc::test::run_cli;
using conloc::test::write_file;

namespace {

struct BadConfig {
  const char* name;
  const char* content;    // nullptr: file is not created
  const char* must_name;  // substring the message must contain
};

const BadConfig kBadConfigs[] = {
    {"UnknownTopLevelKey", R"({"arrray": {"rows": 8}})", "arrray"},
    {"UnknownNestedKey", R"({"array": {"rowz": 8}})", "array.rowz"},
    {"UnknownDeepKey", R"({"design": {"elp": {"termz": 2}}})", "design.elp.termz"},
    {"WrongTypeString", R"({"array": {"rows": "16"}})", "array.rows"},
    {"WrongTypeFloatForInt", R"({"array": {"rows": 16.5}})", "array.rows"},
    {"OutOfRangeZero", R"({"array": {"cols": 0}})", "array.cols"},
    {"OutOfRangeNegativeReal", R"({"clock_ghz": -1})", "clock_ghz"},
    {"NotAChoice", R"({"array": {"dataflow": "rs"}})", "array.dataflow"},
    {"GroupNotObject", R"({"array": 5})", "array"},
    {"TopLevelNotObject", R"([1, 2, 3])", "top level"},
    {"MalformedJson", "{\n  \"array\": {\"rows\": 16,}\n}", "line 2"},
    {"EmptyFile", "", "file is empty"},
    {"MissingFile", nullptr, "file not found"},
    {"NotPowerOfTwo", R"({"dram": {"burst_bytes": 48}})", "dram.burst_bytes"},
    {"CustomFieldWithPreset", R"({"design": {"elp": {"format": "elp5", "terms": 3}}})",
     "design.elp.terms"},
    {"AccumulatorTooNarrow", R"({"design": {"accumulator_bits": 12}})", "design.accumulator_bits"},
    {"UnsupportedCustomFormat",
     R"({"design": {"elp": {"format": "custom", "shift_bits": 4, "positions": 8}}})", "shift_bits"},
    {"EnergyTableMissing", R"({"energy": {"table": "no-such-table.json"}})", "energy.table"},
    {"BurstLargerThanBufferHalf",
     R"({"buffers": {"output_kib": 1}, "dram": {"burst_bytes": 1024}})", "dram.burst_bytes"},
    {"NullValue", R"({"array": {"rows": null}})", "array.rows"},
    {"LayerFormatsOnAFixedDecoder", R"({"design": {"layer_formats": "conv1=elp4v2"}})",
     "an ELP_BSD v2 PE with a loadable decoder, but the design is elp5"},
    {"LayerFormatWiderThanThePe",
     R"({"design": {"mac": "fixed", "fixed": {"weight_bits": 6}, "layer_formats": "conv1=fixed8"}})",
     "FORMAT one of fixed2, fixed3, fixed4, fixed5, fixed6"},
    {"LayerFormatWiderThanTheElpPe",
     R"({"design": {"elp": {"format": "elp4v2l"}, "layer_formats": "conv1=elp5v2"}})",
     "\"elp5v2\" is not a format the elp4v2l PE runs"},
    {"LayerFormatFixedOnTheElpPe",
     R"({"design": {"elp": {"format": "elp6v2l"}, "layer_formats": "conv1=fixed5"}})",
     "FORMAT one of elp3v2, elp4v2, elp5v2, elp6v2, elp3v2l, elp4v2l, elp5v2l, elp6v2l, fixed3, "
     "fixed4"},
    {"LayerFormatsBadCompensation",
     R"({"design": {"mac": "fixed", "layer_formats": "conv1=fixed4/feedback"}})",
     "layer conv1: \"feedback\" is not a compensation"},
    {"LayerFormatsUnknownLayer",
     R"({"design": {"mac": "fixed", "layer_formats": "conv1=fixed4,layer9.conv=fixed3"}})",
     "no layer named \"layer9.conv\""},
    {"LayerFormatsNotLayerEqualsFormat",
     R"({"design": {"mac": "fixed", "layer_formats": "fixed4"}})", "LAYER=FORMAT"},
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

}  // namespace

TEST_P(BadConfigTest, RunExitsTwoAndNamesFileAndField) {
  const BadConfig& bc = GetParam();
  const std::string dir = make_temp_dir("badcfg");
  const std::string file = dir + "/bad.json";
  if (bc.content != nullptr) write_file(file, bc.content);
  const auto r = run_cli({"run", "--config", file, "--out", dir + "/out"}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(bc.must_name), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("simulator bug"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Cli, BadConfigTest, ::testing::ValuesIn(kBadConfigs),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Cli, EnergyTableMissingConstantNamesIt) {
  const std::string dir = make_temp_dir("energy");
  write_file(dir + "/e.json",
             R"({"name": "x", "node_nm": 45, "constants": {"add_8b": {"value": 0.03, "unit": "pJ",
             "bits": 8, "source": "s", "node_nm": 45}}})");
  write_file(dir + "/c.json", R"({"energy": {"table": "e.json"}})");
  const auto r = run_cli({"formats", "--config", dir + "/c.json"}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("e.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("constants.add_32b"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing required"), std::string::npos) << r.err;
}

TEST(Cli, SetUnknownKeyExitsTwo) {
  const auto r = run_cli({"config", "--set", "array.rowz=3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--set"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("array.rowz"), std::string::npos) << r.err;
}

TEST(Cli, SetWrongTypeExitsTwo) {
  const auto r = run_cli({"config", "--set", "array.rows=abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("array.rows"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"abc\""), std::string::npos) << r.err;
}

TEST(Cli, UnknownCommandAndOptionExitTwo) {
  EXPECT_EQ(run_cli({"frobnicate"}).exit_code, 2);
  const auto r = run_cli({"config", "--no-such-option"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no-such-option"), std::string::npos) << r.err;
  EXPECT_EQ(run_cli({}).exit_code, 2);
}

TEST(Cli, HelpForToolAndEverySubcommand) {
  const auto top = run_cli({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* cmd : {"run", "compare", "formats", "config", "accuracy"}) {
    const auto r = run_cli({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    EXPECT_NE(r.out.find(std::string("usage: conlocnn-sim ") + cmd), std::string::npos) << r.out;
    EXPECT_NE(top.out.find(cmd), std::string::npos);
  }
}

TEST(Cli, ConfigShowPrintsResolvedConfig) {
  const auto r = run_cli({"config", "--set", "array.rows=24"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"rows\": 24"), std::string::npos) << r.out;
}

TEST(Cli, ConfigSchemaListsParameters) {
  const auto r = run_cli({"config", "--schema"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("`array.rows`"), std::string::npos);
  const auto j = run_cli({"config", "--schema", "--json"});
  ASSERT_EQ(j.exit_code, 0);
  EXPECT_NE(j.out.find("\"name\": \"design.elp.format\""), std::string::npos);
}

// Regression corpus of hostile inputs (issue "Robustness"): each must end with exit code 2 and a
// message naming the file or option and the field; none may crash, hang or be silently accepted.
namespace {

struct Hostile {
  const char* name;
  std::string file;  // written as in.json when not empty
  std::vector<std::string> args;
  std::string needle;
};

std::string deep_json() {
  return std::string(60000, '[') + std::string(60000, ']');
}

std::string net(const std::string& input, const std::string& layer) {
  return "{\"input\": " + input + ", \"layers\": [" + layer + "]}";
}

}  // namespace

TEST(Cli, HostileInputsAreCleanUserErrors) {
  const std::string conv = R"({"name": "c", "type": "conv", "out_channels": 4})";
  const std::vector<Hostile> cases = {
      {"deep config", deep_json(), {"run", "--config", "in.json"}, "nested too deeply"},
      {"deep network", deep_json(), {"run", "--workload", "in.json"}, "nested too deeply"},
      {"number overflow",
       R"({"array": {"rows": 1e400}})",
       {"run", "--config", "in.json"},
       "number overflow"},
      {"duplicate key",
       R"({"array": {"rows": 16, "rows": 32}})",
       {"run", "--config", "in.json"},
       "array.rows: duplicate key"},
      {"invalid utf-8 in --set",
       "",
       {"run", "--set", "array.dataflow=\xff\xfe"},
       "array.dataflow: not an allowed value"},
      {"device as config", "", {"run", "--config", "/dev/zero"}, "not a regular file"},
      {"stray positional", "", {"run", "tinycnn"}, "too many positional options"},
      {"negative image",
       "",
       {"run", "--workload", "tinycnn", "--image", "-1"},
       "--image: out of range"},
      {"truncating dimension",
       net("[4294967304, 8, 3]", conv),
       {"run", "--workload", "in.json"},
       "input[0]: out of range"},
      {"kernel larger than input",
       net("[4, 4, 3]", R"({"name": "c", "type": "conv", "out_channels": 4, "kernel": 7})"),
       {"run", "--workload", "in.json"},
       "kernel larger than the padded input"},
      {"layer named input",
       net("[8, 8, 3]", R"({"name": "input", "type": "conv", "out_channels": 4})"),
       {"run", "--workload", "in.json"},
       "reserved name"},
      {"path in layer name",
       net("[8, 8, 3]", R"({"name": "../../secret/conv2", "type": "conv", "out_channels": 4})"),
       {"run", "--workload", "in.json"},
       "character not allowed in a layer name"},
      {"comma in layer name",
       net("[8, 8, 3]", R"({"name": "a,b", "type": "conv", "out_channels": 4})"),
       {"run", "--workload", "in.json"},
       "character not allowed"},
      {"empty layer name",
       net("[8, 8, 3]", R"({"name": "", "type": "conv", "out_channels": 4})"),
       {"run", "--workload", "in.json"},
       "empty layer name"},
      {"kernel on fc",
       net("[8, 8, 3]", R"({"name": "f", "type": "fc", "out_channels": 4, "kernel": 3})"),
       {"run", "--workload", "in.json"},
       "layers[0].kernel: not used by a fc layer"},
      {"huge input",
       net("[65536, 65536, 3]", conv),
       {"run", "--workload", "in.json", "--timing-only"},
       "input too large"},
      {"huge fc",
       net("[64, 64, 64]", R"({"name": "f", "type": "fc", "out_channels": 1000000})"),
       {"run", "--workload", "in.json", "--timing-only"},
       "layer too large"},
      {"huge conv output",
       net("[2048, 2048, 64]", R"({"name": "c", "type": "conv", "out_channels": 128})"),
       {"run", "--workload", "in.json", "--timing-only"},
       "tensor too large"},
  };
  for (const auto& c : cases) {
    const std::string dir = make_temp_dir("hostile");
    if (!c.file.empty()) write_file(dir + "/in.json", c.file);
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--out", dir + "/o"});
    const auto r = run_cli(args, dir);
    EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.name << ": " << r.err;
  }
}

// A FIFO as input must not block (it is refused before it is opened).
TEST(Cli, FifoInputIsRefusedWithoutBlocking) {
  const std::string dir = make_temp_dir("fifo");
  ASSERT_EQ(mkfifo((dir + "/f.json").c_str(), 0600), 0);
  const auto r = run_cli({"run", "--config", "f.json", "--out", dir + "/o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
}

// More hostile inputs that need files of their own: devices as weights or energy tables, an
// empty weight tensor, NaN in a trained network's weight file (named by file and PyTorch index),
// buffers of 1 GiB (only touched pages are used, so the run neither fails nor exhausts memory).
TEST(Cli, HostileFilesAreCleanUserErrors) {
  const std::string dir = make_temp_dir("hostile-files");
  // A network file that is a link to a device.
  std::filesystem::create_symlink("/dev/zero", dir + "/dev.json");
  auto r = run_cli({"run", "--workload", "dev.json", "--out", "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dev.json: not a regular file"), std::string::npos) << r.err;
  r = run_cli({"formats", "--weights", "/dev/zero"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/dev/zero: not a regular file"), std::string::npos) << r.err;
  r = run_cli({"run", "--set", "energy.table=/dev/null", "--workload", "tinycnn", "--timing-only",
               "--out", "o"},
              dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  write_file(dir + "/empty.npy", std::string("\x93NUMPY\x01\x00", 8) + std::string("\x76\x00", 2) +
                                     "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }" +
                                     std::string(118 - 59 - 1, ' ') + "\n");
  r = run_cli({"formats", "--weights", "empty.npy"}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("empty.npy: shape: empty tensor"), std::string::npos) << r.err;
  r = run_cli(
      {"run", "--workload", "tinycnn", "--set", "array.rows=1024", "--set", "array.cols=1024",
       "--set", "buffers.weight_kib=1048576", "--set", "buffers.activation_kib=1048576", "--set",
       "buffers.output_kib=1048576", "--out", "big"},
      dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << r.out;
}

// The command line's own mistakes: a workload typo gets a did-you-mean and the kinds of file
// accepted; an --out given empty (an unset shell variable) or one that cannot be created is
// refused naming the user's path, not an internal one; a config whose JSON document is followed
// by a NUL byte and garbage is refused (the parser would stop at the NUL).
TEST(Cli, TyposEmptyOrUnwritableOutAndTrailingBytesAreRefused) {
  const std::string dir = make_temp_dir("cli-mistakes");
  auto r = run_cli({"run", "--workload", "resnet5O", "--timing-only", "--out", "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean resnet50?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(".onnx"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(".csv"), std::string::npos) << r.err;
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"run", "--workload", "tinycnn", "--timing-only"},
        std::vector<std::string>{"compare", "--workload", "tinycnn", "--timing-only"},
        std::vector<std::string>{"sweep", "configs/sweeps/array-sizes.json"}}) {
    std::vector<std::string> a = cmd;
    if (a[0] == "sweep") a[1] = std::string(CONLOCNN_SOURCE_DIR) + "/" + a[1];
    a.insert(a.end(), {"--out", ""});
    r = run_cli(a, dir);
    EXPECT_EQ(r.exit_code, 2) << a[0];
    EXPECT_NE(r.err.find("--out: empty"), std::string::npos) << a[0] << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/out")) << "an empty --out wrote the default folder";
  r = run_cli({"run", "--workload", "tinycnn", "--timing-only", "--out", "/proc/no/such"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("\"/proc/no/such\""), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(".tmp-"), std::string::npos) << "names an internal path: " << r.err;
  write_file(dir + "/c.json", std::string("{\"array\": {\"rows\": 8}}") + '\0' + "garbage");
  r = run_cli({"run", "--workload", "tinycnn", "--timing-only", "--config", "c.json", "--out", "o"},
              dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("c.json: malformed JSON at line 1: a NUL byte"), std::string::npos) << r.err;
}
