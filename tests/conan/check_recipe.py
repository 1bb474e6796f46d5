#!/usr/bin/env python3
"""Checks conan/conanfile.py against the CMake project, without Conan.

Parses the recipe with `ast` (nothing in it runs) and compares it with
CMakeLists.txt, cmake/CustosInstall.cmake and src/CMakeLists.txt:

- version == project(VERSION ...);
- options shared and fPIC (default shared False, fPIC True; fPIC removed on
  Windows and for shared builds); every CUSTOS_* variable the recipe sets is
  an option() of CMakeLists.txt, and every CUSTOS_BUILD_* option is set;
- requirements sqlite3, openssl and nlohmann_json, one per find_package of
  SQLite3, OpenSSL and nlohmann_json, the lower bound of each range equal to
  the version CMake asks for;
- cmake_file_name "custos" and cmake_target_name "custos::custos", matching
  the ALIAS, the export NAMESPACE and the config file name; libs ["custos"];
- Conan 2's layout for a recipe one folder below the sources: layout() sets
  self.folders.root = ".." and calls cmake_layout(self); export_sources()
  copies from os.path.join(self.recipe_folder, ".."); no "../" in
  exports_sources; a test_package with a conanfile.py.

Exits 1 naming every mismatch.
  check_recipe.py SOURCE_DIR          check the repository
  check_recipe.py SOURCE_DIR --self-test
                                      also prove that broken recipes fail
"""
import ast
import os
import re
import sys


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


class Recipe:
    """What the recipe says, read from its syntax tree."""

    def __init__(self, text):
        tree = ast.parse(text)
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        self.cls = next((c for c in classes
                         if any(getattr(b, "id", getattr(b, "attr", "")) == "ConanFile"
                                for b in c.bases)), None)
        self.attrs = {}
        self.methods = {}
        if self.cls is None:
            return
        for node in self.cls.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.attrs[target.id] = literal(node.value)
            elif isinstance(node, ast.FunctionDef):
                self.methods[node.name] = node

    def calls(self, method, name):
        """Every call to `name` (a function or a method) inside `method`."""
        node = self.methods.get(method)
        if node is None:
            return []
        found = []
        for n in ast.walk(node):
            if isinstance(n, ast.Call):
                f = n.func
                fname = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
                if fname == name:
                    found.append(n)
        return found

    def subscript_assignments(self, method):
        """{key: value} of `x.y["KEY"] = VALUE` statements in `method`."""
        out = {}
        node = self.methods.get(method)
        if node is None:
            return out
        for n in ast.walk(node):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Subscript):
                        key = literal(t.slice)
                        if isinstance(key, str):
                            out[key] = literal(n.value)
        return out

    def set_properties(self):
        out = {}
        for call in self.calls("package_info", "set_property"):
            if len(call.args) == 2:
                out[literal(call.args[0])] = literal(call.args[1])
        return out

    def attribute_assignments(self, method):
        """{"self.a.b": value} of attribute assignments in `method`."""
        out = {}
        node = self.methods.get(method)
        if node is None:
            return out
        for n in ast.walk(node):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Attribute):
                        out[ast.unparse(t)] = n.value
        return out


def check(recipe_text, cmake_text, install_text, src_cmake_text, has_test_package):
    problems = []
    r = Recipe(recipe_text)
    if r.cls is None:
        return ["conanfile.py: no ConanFile class"]

    # Version.
    m = re.search(r"project\(\s*custos\s+VERSION\s+([0-9.]+)", cmake_text)
    cmake_version = m.group(1) if m else None
    if r.attrs.get("version") != cmake_version:
        problems.append(f"version: recipe {r.attrs.get('version')!r}, "
                        f"CMakeLists.txt project(VERSION {cmake_version})")
    if r.attrs.get("name") != "custos":
        problems.append(f"name: {r.attrs.get('name')!r}, not 'custos'")

    # Options.
    options = r.attrs.get("options") or {}
    defaults = r.attrs.get("default_options") or {}
    for opt, default in (("shared", False), ("fPIC", True)):
        if sorted(options.get(opt, []), key=str) != [False, True]:
            problems.append(f"options: {opt} must be [True, False]")
        if defaults.get(opt) != default:
            problems.append(f"default_options: {opt} must default to {default}")
    for opt in options:
        if opt not in ("shared", "fPIC"):
            problems.append(f"options: {opt!r} maps to no CMake option")
    if "BUILD_SHARED_LIBS" not in cmake_text and "add_library(custos ${" not in src_cmake_text:
        problems.append("CMake: the custos library does not follow BUILD_SHARED_LIBS")
    if not any("fPIC" in ast.unparse(c) for c in r.calls("configure", "rm_safe")):
        problems.append("configure(): fPIC is not removed for shared builds")
    if "fPIC" not in ast.unparse(r.methods["config_options"]) if "config_options" in r.methods \
            else True:
        problems.append("config_options(): fPIC is not removed on Windows")
    cmake_options = set(re.findall(r"option\(\s*(CUSTOS_[A-Z_]+)", cmake_text))
    variables = r.subscript_assignments("generate")
    for var in variables:
        if var.startswith("CUSTOS_") and var not in cmake_options:
            problems.append(f"generate(): {var} is not an option() of CMakeLists.txt")
    for opt in sorted(cmake_options):
        if opt.startswith("CUSTOS_BUILD_") and opt not in variables:
            problems.append(f"generate(): {opt} is not set (a package builds the library only)")
        elif opt.startswith("CUSTOS_BUILD_") and variables[opt] is not False:
            problems.append(f"generate(): {opt} must be False in a package")
    if variables.get("CUSTOS_INSTALL") is not True:
        problems.append("generate(): CUSTOS_INSTALL must be True (package() installs)")

    # Requirements against find_package.
    wanted = {
        "sqlite3": (r"find_package\(SQLite3\b[^)]*\)", None),
        "openssl": (r"find_package\(OpenSSL\s+([0-9.]+)", "3"),
        "nlohmann_json": (r"find_package\(nlohmann_json\s+([0-9.]+)", None),
    }
    required = {}
    for call in r.calls("requirements", "requires"):
        ref = literal(call.args[0]) if call.args else None
        if isinstance(ref, str) and "/" in ref:
            name, version = ref.split("/", 1)
            required[name] = version
    for name, (pattern, _) in wanted.items():
        m = re.search(pattern, cmake_text)
        if not m:
            problems.append(f"CMakeLists.txt: no find_package for {name}")
            continue
        if name not in required:
            problems.append(f"requirements(): {name} is missing (CMakeLists.txt: {m.group(0)})")
            continue
        if m.groups():
            lower = re.search(r">=\s*([0-9.]+)", required[name])
            cmake_min = m.group(1)
            if not lower:
                problems.append(f"requirements(): {name}/{required[name]} has no lower bound "
                                f"(CMake asks for {cmake_min})")
            elif [int(x) for x in lower.group(1).split(".")][:len(cmake_min.split("."))] != \
                    [int(x) for x in cmake_min.split(".")]:
                problems.append(f"requirements(): {name} from {lower.group(1)}, "
                                f"CMake asks for {cmake_min}")
    for name in required:
        if name not in wanted:
            problems.append(f"requirements(): {name} is not found by CMakeLists.txt")

    # The package's CMake names.
    props = r.set_properties()
    if props.get("cmake_file_name") != "custos":
        problems.append(f"package_info(): cmake_file_name {props.get('cmake_file_name')!r}, "
                        "not 'custos' (custosConfig.cmake)")
    if props.get("cmake_target_name") != "custos::custos":
        problems.append(f"package_info(): cmake_target_name {props.get('cmake_target_name')!r},"
                        " not 'custos::custos'")
    if "add_library(custos::custos ALIAS custos)" not in src_cmake_text:
        problems.append("src/CMakeLists.txt: no custos::custos ALIAS")
    if "NAMESPACE custos::" not in install_text:
        problems.append("cmake/CustosInstall.cmake: the export has no custos:: NAMESPACE")
    libs = None
    for key, value in r.attribute_assignments("package_info").items():
        if key == "self.cpp_info.libs":
            libs = literal(value)
    if libs != ["custos"]:
        problems.append(f"package_info(): cpp_info.libs is {libs!r}, not ['custos']")

    # Layout of a recipe one folder below the sources.
    layout = r.attribute_assignments("layout")
    root = layout.get("self.folders.root")
    if root is None or literal(root) != "..":
        problems.append('layout(): self.folders.root must be ".."')
    if not r.calls("layout", "cmake_layout"):
        problems.append("layout(): cmake_layout(self) is not called")
    exports = r.attrs.get("exports_sources")
    if exports is not None:
        items = [exports] if isinstance(exports, str) else list(exports or [])
        if any(".." in e for e in items):
            problems.append('exports_sources: no "../" (use export_sources())')
    copies = r.calls("export_sources", "copy")
    src = ast.unparse(r.methods["export_sources"]) if "export_sources" in r.methods else ""
    if not copies:
        problems.append("export_sources(): copies nothing")
    if 'os.path.join(self.recipe_folder, "..")' not in src.replace("'", '"'):
        problems.append('export_sources(): must copy from os.path.join(self.recipe_folder, "..")')
    if "export_sources_folder" not in src:
        problems.append("export_sources(): must copy to self.export_sources_folder")
    for needed in ("CMakeLists.txt", "cmake", "include", "src"):
        if needed not in src:
            problems.append(f"export_sources(): {needed} is not exported")
    if not has_test_package:
        problems.append("conan/test_package/conanfile.py is missing")
    return problems


def self_test(recipe, cmake, install, src_cmake):
    """Each mutation of a good recipe or project must be reported."""
    mutations = [
        ("recipe", 'version = "0.1.0"', 'version = "0.2.0"', "version"),
        ("recipe", '"fPIC": True}', '"fPIC": False}', "fPIC must default"),
        ("recipe", '        self.requires("openssl/[>=3.0 <4]")\n', "", "openssl is missing"),
        ("recipe", '"custos::custos")', '"custos::lib")', "cmake_target_name"),
        ("recipe", 'self.folders.root = ".."', 'self.folders.root = "."', "folders.root"),
        ("recipe", 'tc.cache_variables["CUSTOS_BUILD_FUZZ"] = False',
         'tc.cache_variables["CUSTOS_BUILD_FUZ"] = False', "CUSTOS_BUILD_FUZ"),
        ("recipe", '"nlohmann_json/[>=3.10 <4]"', '"nlohmann_json/[>=3.9 <4]"', "nlohmann_json"),
        ("cmake", "VERSION 0.1.0", "VERSION 0.1.1", "version"),
    ]
    failures = 0
    for where, old, new, expect in mutations:
        texts = {"recipe": recipe, "cmake": cmake}
        if old not in texts[where]:
            print(f"self-test: cannot apply mutation {old!r}")
            failures += 1
            continue
        texts[where] = texts[where].replace(old, new, 1)
        problems = check(texts["recipe"], texts["cmake"], install, src_cmake, True)
        if not any(expect in p for p in problems):
            print(f"self-test: mutation {old!r} -> {new!r} was not reported ({problems})")
            failures += 1
    print(f"self-test: {len(mutations) - failures} of {len(mutations)} broken recipes rejected")
    return failures == 0


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    root = sys.argv[1]
    recipe = read(os.path.join(root, "conan", "conanfile.py"))
    cmake = read(os.path.join(root, "CMakeLists.txt"))
    install = read(os.path.join(root, "cmake", "CustosInstall.cmake"))
    src_cmake = read(os.path.join(root, "src", "CMakeLists.txt"))
    has_test_package = os.path.isfile(os.path.join(root, "conan", "test_package", "conanfile.py"))
    problems = check(recipe, cmake, install, src_cmake, has_test_package)
    for p in problems:
        print(f"conan/conanfile.py: {p}")
    ok = not problems
    if ok:
        print("conan/conanfile.py agrees with the CMake project")
    if "--self-test" in sys.argv[2:]:
        ok = self_test(recipe, cmake, install, src_cmake) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
