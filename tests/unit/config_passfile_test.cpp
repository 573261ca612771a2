#include <pgasio/passfile.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using pgasio::config;
using pgasio::host_spec;
using pgasio::lookup_password;

namespace {

// A password file in a fresh temporary directory, removed at the end of the test.
class temp_passfile {
public:
    explicit temp_passfile(std::string_view contents, mode_t mode = 0600) {
        std::string pattern = (std::filesystem::temp_directory_path() / "pgasio-pgpass-XXXXXX");
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        dir_ = pattern;
        path_ = dir_ + "/pgpass";
        std::ofstream(path_, std::ios::binary) << contents;
        REQUIRE(chmod(path_.c_str(), mode) == 0);
    }
    temp_passfile(const temp_passfile&) = delete;
    temp_passfile& operator=(const temp_passfile&) = delete;
    ~temp_passfile() { std::filesystem::remove_all(dir_); }
    const std::string& path() const { return path_; }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    std::string path_;
};

config make_config(const std::string& passfile, std::string user = "alice",
                   std::string dbname = "shop") {
    config cfg;
    cfg.user = std::move(user);
    cfg.dbname = std::move(dbname);
    cfg.passfile = passfile;
    return cfg;
}

std::string lookup(const config& cfg, const host_spec& host) {
    auto found = lookup_password(cfg, host);
    CHECK(found.warning.empty());
    return std::string(found.password.reveal());
}

} // namespace

TEST_CASE("passfile: matching lines, first match wins") {
    temp_passfile file("# a comment line\n"
                       "\n"
                       "db1:5432:shop:alice:first\n"
                       "db1:5432:shop:alice:second\n"
                       "db1:*:*:bob:bobs\n"
                       "*:5433:*:*:any-on-5433\r\n"
                       "localhost:5432:shop:alice:local\n"
                       "/tmp:5432:shop:alice:tmp-socket\n"
                       "10.0.0.1:5432:shop:alice:by-address\n"
                       "db\\:x:5432:shop:alice:pa\\:ss\\\\word:ignored-after\n"
                       "short:5432\n");
    auto cfg = make_config(file.path());
    CHECK(lookup(cfg, {"db1", "", 5432}) == "first");
    CHECK(lookup(make_config(file.path(), "bob", "other"), {"db1", "", 9999}) == "bobs");
    CHECK(lookup(cfg, {"db2", "", 5433}) == "any-on-5433"); // the trailing \r is not part of it
    CHECK(lookup(cfg, {"db2", "", 5432}).empty());
    CHECK(lookup(make_config(file.path(), "carol"), {"db1", "", 5432}).empty());
    CHECK(lookup(make_config(file.path(), "alice", "other"), {"db1", "", 5432}).empty());
    // The default socket directory is "localhost"; another directory matches by its path.
    CHECK(lookup(cfg, {"/var/run/postgresql", "", 5432}) == "local");
    CHECK(lookup(cfg, {"localhost", "", 5432}) == "local");
    CHECK(lookup(cfg, {"/tmp", "", 5432}) == "tmp-socket");
    // With no host name, the address is compared.
    CHECK(lookup(cfg, {"", "10.0.0.1", 5432}) == "by-address");
    // With both, the host name.
    CHECK(lookup(cfg, {"db1", "10.0.0.1", 5432}) == "first");
    // Escaped ':' and '\' in fields and in the password, which ends at an unescaped ':'.
    CHECK(lookup(cfg, {"db:x", "", 5432}) == "pa:ss\\word");
    // A prefix of a field does not match, nor does a longer value.
    CHECK(lookup(cfg, {"db", "", 5432}).empty());
    CHECK(lookup(cfg, {"db11", "", 5432}).empty());
    // A line with too few fields matches nothing.
    CHECK(lookup(cfg, {"short", "", 5432}).empty());
}

TEST_CASE("passfile: the configured password wins") {
    temp_passfile file("*:*:*:*:from-file\n");
    auto cfg = make_config(file.path());
    CHECK(lookup(cfg, {"h", "", 5432}) == "from-file");
    cfg.password.assign("explicit");
    CHECK(lookup(cfg, {"h", "", 5432}) == "explicit");
}

TEST_CASE("passfile: an empty password field gives no password") {
    temp_passfile file("h:5432:*:*:\n*:*:*:*:later\n");
    CHECK(lookup(make_config(file.path()), {"h", "", 5432}).empty());
}

TEST_CASE("passfile: refused with a warning when group or world can access it") {
    for (mode_t mode : {mode_t{0640}, mode_t{0604}, mode_t{0660}, mode_t{0610}}) {
        INFO(mode);
        temp_passfile file("*:*:*:*:secret\n", mode);
        auto found = lookup_password(make_config(file.path()), {"h", "", 5432});
        CHECK(found.password.empty());
        CHECK(found.warning == "password file '" + file.path() +
                                   "' has group or world access; permissions should be u=rw "
                                   "(0600) or less");
    }
    temp_passfile strict("*:*:*:*:secret\n", 0400);
    CHECK(lookup(make_config(strict.path()), {"h", "", 5432}) == "secret");
}

TEST_CASE("passfile: not a plain file, or missing") {
    temp_passfile file("");
    auto found = lookup_password(make_config(file.dir()), {"h", "", 5432});
    CHECK(found.password.empty());
    CHECK(found.warning == "password file '" + file.dir() + "' is not a plain file");

    auto missing = lookup_password(make_config(file.dir() + "/nope"), {"h", "", 5432});
    CHECK(missing.password.empty());
    CHECK(missing.warning.empty());
    auto none = lookup_password(make_config(""), {"h", "", 5432});
    CHECK(none.password.empty());
    CHECK(none.warning.empty());
}

TEST_CASE("passfile: parse() points at ~/.pgpass or PGPASSFILE") {
    temp_passfile file("db1:5432:shop:alice:from-home\n");
    std::filesystem::rename(file.path(), file.dir() + "/.pgpass");
    auto cfg = config::parse("host=db1 user=alice dbname=shop",
                             pgasio::map_environment({{"HOME", file.dir()}}));
    REQUIRE(cfg);
    CHECK(lookup(*cfg, cfg->hosts[0]) == "from-home");
    auto via_env =
        config::parse("host=db1 user=alice dbname=shop",
                      pgasio::map_environment(
                          {{"HOME", "/nonexistent"}, {"PGPASSFILE", file.dir() + "/.pgpass"}}));
    REQUIRE(via_env);
    CHECK(lookup(*via_env, via_env->hosts[0]) == "from-home");
}
