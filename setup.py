"""Maps the top-level folders onto the govscan.* import packages (see DESIGN.md: Layout)."""

from setuptools import find_packages, setup

TOP_LEVEL = {"scanner": "govscan.scanner", "rules": "govscan.rules", "reporters": "govscan.reporters"}

packages: list[str] = []
package_dir: dict[str, str] = {}
for folder, dotted in TOP_LEVEL.items():
    packages.append(dotted)
    package_dir[dotted] = folder
    for sub in find_packages(folder):
        packages.append(f"{dotted}.{sub}")

setup(packages=packages, package_dir=package_dir)
