# Conan 2 recipe for Custos. It lives one folder below the sources, so
# layout() points the root one level up and export_sources() copies from the
# repository root (Conan 2's documented pattern for a recipe in a
# subfolder). From the repository root:
#   conan create conan --build=missing        # builds, then runs test_package
# tests/conan/check_recipe.py keeps this file in step with CMakeLists.txt.
import os

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy


class CustosConan(ConanFile):
    name = "custos"
    version = "0.1.0"
    license = "Proprietary"
    description = "Purpose- and consent-aware access control for customer data"
    topics = ("privacy", "gdpr", "consent", "access-control", "sqlite")
    package_type = "library"
    settings = "os", "compiler", "build_type", "arch"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}

    def export_sources(self):
        root = os.path.join(self.recipe_folder, "..")
        for pattern in ("CMakeLists.txt", "cmake/*", "include/*", "src/*"):
            copy(self, pattern, src=root, dst=self.export_sources_folder)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        self.folders.root = ".."
        cmake_layout(self)

    def requirements(self):
        self.requires("sqlite3/[>=3.40 <4]")
        self.requires("openssl/[>=3.0 <4]")
        self.requires("nlohmann_json/[>=3.10 <4]")

    def generate(self):
        CMakeDeps(self).generate()
        tc = CMakeToolchain(self)
        # The package is the library (and its install rules), nothing else.
        tc.cache_variables["CUSTOS_BUILD_TESTS"] = False
        tc.cache_variables["CUSTOS_BUILD_EXAMPLES"] = False
        tc.cache_variables["CUSTOS_BUILD_BENCH"] = False
        tc.cache_variables["CUSTOS_BUILD_FUZZ"] = False
        tc.cache_variables["CUSTOS_INSTALL"] = True
        tc.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        CMake(self).install()

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "custos")
        self.cpp_info.set_property("cmake_target_name", "custos::custos")
        self.cpp_info.set_property("pkg_config_name", "custos")
        self.cpp_info.libs = ["custos"]
        self.cpp_info.requires = ["sqlite3::sqlite3", "openssl::crypto",
                                  "nlohmann_json::nlohmann_json"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread", "m"]
