# Sourced by the README's two commands: the project's virtualenv, created on first use, with
# the project installed into it (pip's spec as the argument: "." or ".[test]").
install_project() {
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
        # The pip a new venv starts with can be too old to match justext's lxml[html_clean]
        # to lxml's html-clean extra: it warns that lxml does not provide it.
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$1"
}
