# Sourced by the README's two commands: the project's virtualenv, created on first use, with
# the project installed into it (pip's spec as the argument: "." or ".[test]").
install_project() {
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
        # The pip a new venv starts with can be too old to match justext's lxml[html_clean]
        # to lxml's html-clean extra: it warns that lxml does not provide it.
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    fi
    # Installed again only when pyproject.toml (its dependencies, its commands) changed since:
    # the install is editable, so code changes need none, and a restart then starts at once,
    # with no package index to reach.
    local stamp wanted
    stamp=".venv/.installed$(printf '%s' "$1" | tr -c 'a-z' '-')"
    wanted="$(sha256sum pyproject.toml | cut -d ' ' -f 1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$1"
        printf '%s\n' "$wanted" > "$stamp"
    fi
}
