#!/usr/bin/env python3
"""Lint, install, inspect and uninstall the sked Helm chart without a `helm` binary.

Uses Helm's own Go engine (Helm v4) through the PyPI package helm-sdkpy, installed on
first use into ~/.cache/sked/helm-sdkpy (or $SKED_HELM_SDKPY_DIR):

  python3 scripts/helm-check.py lint charts/sked [--set k=v ...] [-f values.yaml]
  python3 scripts/helm-check.py install --kubeconfig K --namespace NS --release R charts/sked \\
      [--set key=value ...] [--set-string key=value ...] [-f values.yaml] [--wait] [--timeout S] \\
      [--create-namespace]
  python3 scripts/helm-check.py upgrade   ... (as install; --install, --reset-values, --reuse-values)
  python3 scripts/helm-check.py status    --kubeconfig K --namespace NS --release R
  python3 scripts/helm-check.py manifest  --kubeconfig K --namespace NS --release R
  python3 scripts/helm-check.py uninstall --kubeconfig K --namespace NS --release R [--wait]
  python3 scripts/helm-check.py template  charts/sked  (see below: not supported by helm-sdkpy)

Exit codes: 0 success, 1 the Helm action failed (or lint found errors), 2 bad usage or
the SDK could not be installed/loaded.

Notes:
- CRDs in the chart's crds/ folder are created on install only when missing; an existing
  CRD (e.g. from `kubectl apply -k config/default`) is left as it is, like `helm install`.
- install does not wait for the Deployment to become ready unless --wait is given (a
  control plane without kubelet never runs pods).
- helm-sdkpy 0.1.32 exposes no client-only render (no `helm template`/dry-run), so
  `template` exits 2 saying so; `manifest` prints what an installed release rendered.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SDK_VERSION = "0.1.32"
SDK_DIR = Path(os.environ.get("SKED_HELM_SDKPY_DIR", Path.home() / ".cache" / "sked" / "helm-sdkpy"))


def die(message: str, code: int = 1) -> None:
    # One line: Helm's schema errors span several ("...chart(s):\n  sked:\n  - at '/image/...").
    message = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    print(f"helm-check: {message}", file=sys.stderr)
    sys.exit(code)


# ---------------------------------------------------------------------------- the SDK

def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *args]
    print("helm-check: " + " ".join(cmd), file=sys.stderr)
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        die(f"pip failed (exit {result.returncode}):\n{result.stdout}", 2)


def load_sdk() -> Any:
    """Imports helm_sdkpy from SDK_DIR, installing it there first if it is missing."""
    marker = SDK_DIR / f"helm_sdkpy-{SDK_VERSION}.dist-info"
    if not marker.is_dir():
        # The wheel is tagged for Python >= 3.12 but is a plain cffi binding to a Go shared
        # library, which loads on 3.11 too; --ignore-requires-python lets an older pip
        # (whose --python-version does not cover Requires-Python) install it anyway.
        _pip("--no-deps", "--python-version", "3.12", "--only-binary=:all:", "--ignore-requires-python",
             "--upgrade", "--target", str(SDK_DIR), f"helm-sdkpy=={SDK_VERSION}")
    sys.path.insert(0, str(SDK_DIR))
    try:
        import cffi  # noqa: F401  (helm-sdkpy's only dependency)
    except ImportError:
        # cffi has a compiled part: install it for *this* interpreter, next to the SDK.
        _pip("--target", str(SDK_DIR / "_deps"), "cffi>=1.15")
        sys.path.insert(0, str(SDK_DIR / "_deps"))
    try:
        import helm_sdkpy  # type: ignore[import-not-found]
    except Exception as e:  # noqa: BLE001 - any import failure is fatal and reported
        die(f"cannot import helm_sdkpy from {SDK_DIR}: {e!r} (delete that folder to reinstall)", 2)
    return helm_sdkpy


# ---------------------------------------------------------------------------- values

def _parse_scalar(text: str) -> Any:
    """Types a --set value the way Helm does: true/false/null, integers, else a string."""
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if text.lstrip("-").isdigit() and not (len(text.lstrip("-")) > 1 and text.lstrip("-").startswith("0")):
        return int(text)
    return text


def _split_top(text: str, sep: str) -> list[str]:
    """Splits on sep outside {...}; a backslash before sep makes it literal. Other escapes
    are kept for the next split (a key "a\\.b=1,c=2" is split on "," before ".")."""
    parts, depth, cur, i = [], 0, "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur += text[i + 1] if text[i + 1] == sep else text[i:i + 2]
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    parts.append(cur)
    return parts


def _set_path(values: dict[str, Any], key: str, value: Any) -> None:
    """Sets a.b[0].c = value, creating maps and lists on the way."""
    tokens: list[str | int] = []
    for part in _split_top(key, "."):
        while "[" in part:
            name, rest = part.split("[", 1)
            if name:
                tokens.append(name)
            idx, part = rest.split("]", 1)
            if not idx.isdigit():
                raise ValueError(f"bad list index in {key!r}")
            tokens.append(int(idx))
        if part:
            tokens.append(part)
    if not tokens:
        raise ValueError(f"empty key in --set {key!r}")
    node: Any = values
    for tok, nxt in zip(tokens, tokens[1:] + [None]):
        last = nxt is None
        empty: Any = [] if isinstance(nxt, int) else {}
        if isinstance(tok, int):
            if not isinstance(node, list):
                raise ValueError(f"{key!r}: not a list at [{tok}]")
            while len(node) <= tok:
                node.append(None)
            if last:
                node[tok] = value
            else:
                if not isinstance(node[tok], (dict, list)):
                    node[tok] = empty
                node = node[tok]
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{key!r}: not a map at {tok!r}")
            if last:
                node[tok] = value
            else:
                if not isinstance(node.get(tok), (dict, list)):
                    node[tok] = empty
                node = node[tok]


def parse_sets(values: dict[str, Any], items: list[str], as_string: bool) -> None:
    for item in items:
        for assignment in _split_top(item, ","):
            if "=" not in assignment:
                die(f"--set {assignment!r}: expected key=value", 2)
            key, raw = assignment.split("=", 1)
            if raw.startswith("{") and raw.endswith("}"):
                inner = raw[1:-1]
                value: Any = [] if inner == "" else [raw_item if as_string else _parse_scalar(raw_item)
                                                      for raw_item in _split_top(inner, ",")]
            else:
                value = raw if as_string else _parse_scalar(raw)
            try:
                _set_path(values, key, value)
            except ValueError as e:
                die(f"--set: {e}", 2)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


def collect_values(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path in args.values or []:
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            die("-f needs PyYAML (pip install pyyaml)", 2)
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            die(f"-f {path}: {e}", 2)
        if not isinstance(loaded, dict):
            die(f"-f {path}: not a map of values", 2)
        _merge(values, loaded)
    # Helm's order: files, then --set, then --set-string.
    parse_sets(values, args.set or [], as_string=False)
    parse_sets(values, args.set_string or [], as_string=True)
    return values


# ---------------------------------------------------------------------------- actions

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def _message_text(err: Any) -> str:
    if isinstance(err, dict):
        return err.get("Message") or err.get("Err") or json.dumps(err) if err else ""
    return str(err or "")


def configuration(h: Any, args: argparse.Namespace) -> Any:
    kubeconfig = getattr(args, "kubeconfig", None)
    if kubeconfig and not Path(kubeconfig).is_file():
        die(f"--kubeconfig {kubeconfig}: no such file", 2)
    try:
        return h.Configuration(namespace=getattr(args, "namespace", None) or "default", kubeconfig=kubeconfig,
                               kubecontext=getattr(args, "context", None))
    except h.HelmError as e:
        die(f"configuration failed: {e}")


def chart_dir(path: str) -> str:
    p = Path(path)
    if not (p / "Chart.yaml").is_file():
        die(f"{path}: not a chart folder (no Chart.yaml)", 2)
    return str(p.resolve())


def _schema_errors(chart: Path) -> str:
    """values.yaml against values.schema.json, checked here since the SDK drops the text."""
    try:
        import jsonschema  # type: ignore[import-untyped]
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        return "install jsonschema and pyyaml to see schema errors here"
    schema_file = chart / "values.schema.json"
    if not schema_file.is_file():
        return "no values.schema.json"
    try:
        schema = json.loads(schema_file.read_text())
        values = yaml.safe_load((chart / "values.yaml").read_text()) or {}
    except (OSError, ValueError, yaml.YAMLError) as e:
        return f"cannot read values/schema: {e}"
    found = [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
             for e in jsonschema.Draft7Validator(schema).iter_errors(values)]
    return "schema: " + ("; ".join(found) if found else "no violations found locally (a YAML or other error)")


def cmd_lint(h: Any, args: argparse.Namespace) -> int:
    chart = chart_dir(args.chart)
    values = collect_values(args)
    if values:
        # helm-sdkpy's Lint takes no values: lint the defaults, then render with the
        # given values through a real action is not possible offline; say so.
        print("helm-check: note: lint checks the chart's default values; --set/-f are ignored by helm-sdkpy's Lint",
              file=sys.stderr)
    try:
        result = asyncio.run(h.Lint(configuration(h, args)).run(chart))
    except h.HelmError as e:
        die(f"lint {args.chart}: {e}")
    errors = 0
    for m in result.get("Messages") or []:
        sev = SEVERITY.get(m.get("Severity"), str(m.get("Severity")))
        text = _message_text(m.get("Err"))
        if sev == "ERROR":
            errors += 1
        if sev == "INFO" and not text:
            continue  # e.g. "icon is recommended", whose text the SDK does not carry over
        if not text:
            # helm-sdkpy serialises Go errors as {}: the text is lost, only the file is known.
            text = "(helm-sdkpy does not pass the message on)"
            if m.get("Path") == "values.yaml":
                text += "; " + _schema_errors(Path(chart))
        print(f"[{sev}] {m.get('Path')}: {text}")
    # result["Errors"] repeats the ERROR messages above (without their text).
    linted = result.get("TotalChartsLinted", 0)
    if errors or not linted:
        print(f"helm-check: lint {args.chart}: {errors} error(s), {linted} chart(s) linted", file=sys.stderr)
        return 1
    print(f"==> Linting {args.chart}\n{linted} chart(s) linted, 0 chart(s) failed")
    return 0


def _summary(rel: dict[str, Any]) -> str:
    info = rel.get("info") or {}
    chart = (rel.get("chart") or {}).get("metadata") or {}
    lines = [
        f"NAME: {rel.get('name')}",
        f"NAMESPACE: {rel.get('namespace')}",
        f"STATUS: {info.get('status', rel.get('status'))}",
        f"REVISION: {rel.get('version', rel.get('revision'))}",
    ]
    if chart:
        lines.append(f"CHART: {chart.get('name')}-{chart.get('version')} (app {chart.get('appVersion')})")
    if info.get("last_deployed"):
        lines.append(f"LAST DEPLOYED: {info['last_deployed']}")
    if info.get("description"):
        lines.append(f"DESCRIPTION: {info['description']}")
    return "\n".join(lines)


def _release_args(args: argparse.Namespace) -> tuple[str, str]:
    return args.release, chart_dir(args.chart)


def cmd_install(h: Any, args: argparse.Namespace) -> int:
    release, chart = _release_args(args)
    values = collect_values(args)
    try:
        rel = asyncio.run(h.Install(configuration(h, args)).run(
            release, chart, values=values or None, create_namespace=args.create_namespace,
            wait=args.wait, timeout=args.timeout))
    except h.HelmError as e:
        die(f"install {release} into {args.namespace}: {e}")
    _print_release(rel, args.notes)
    return 0


def _print_release(rel: dict[str, Any], notes: bool) -> None:
    print(_summary(rel))
    if notes and (rel.get("info") or {}).get("notes"):
        print("NOTES:\n" + rel["info"]["notes"])


def cmd_upgrade(h: Any, args: argparse.Namespace) -> int:
    release, chart = _release_args(args)
    values = collect_values(args)
    try:
        rel = asyncio.run(h.Upgrade(configuration(h, args)).run(
            release, chart, values=values or None, install=args.install, create_namespace=args.create_namespace,
            wait=args.wait, timeout=args.timeout, reset_values=args.reset_values, reuse_values=args.reuse_values))
    except h.HelmError as e:
        die(f"upgrade {release} in {args.namespace}: {e}")
    _print_release(rel, args.notes)
    return 0


def _status(h: Any, args: argparse.Namespace) -> dict[str, Any]:
    try:
        return asyncio.run(h.Status(configuration(h, args)).run(args.release))
    except h.ReleaseNotFoundError:
        die(f"release {args.release} not found in namespace {args.namespace}")
    except h.HelmError as e:
        die(f"status {args.release}: {e}")
    raise AssertionError("unreachable")


def cmd_status(h: Any, args: argparse.Namespace) -> int:
    rel = _status(h, args)
    if args.output == "json":
        print(json.dumps(rel, indent=2))
    else:
        print(_summary(rel))
    status = (rel.get("info") or {}).get("status", rel.get("status"))
    return 0 if status == "deployed" else 1


def cmd_manifest(h: Any, args: argparse.Namespace) -> int:
    rel = _status(h, args)
    manifest = rel.get("manifest")
    if not manifest:
        die(f"release {args.release}: the SDK returned no manifest")
    print(manifest)
    return 0


def cmd_uninstall(h: Any, args: argparse.Namespace) -> int:
    try:
        asyncio.run(h.Uninstall(configuration(h, args)).run(args.release, wait=args.wait, timeout=args.timeout))
    except h.ReleaseNotFoundError:
        die(f"release {args.release} not found in namespace {args.namespace}")
    except h.HelmError as e:
        die(f"uninstall {args.release}: {e}")
    print(f'release "{args.release}" uninstalled')
    return 0


def cmd_template(h: Any, args: argparse.Namespace) -> int:
    chart_dir(args.chart)
    for name in ("Template", "Render"):
        if hasattr(h, name):  # a later helm-sdkpy may add it
            action = getattr(h, name)(configuration(h, args))
            out = asyncio.run(action.run(args.release or "release-name", chart_dir(args.chart),
                                         values=collect_values(args) or None))
            print(out if isinstance(out, str) else out.get("manifest", json.dumps(out, indent=2)))
            return 0
    die(f"template: helm-sdkpy {SDK_VERSION} cannot render offline (it has no template or dry-run action). "
        "Install into a test control plane and use `manifest` to see what was rendered.", 2)
    return 2


# ---------------------------------------------------------------------------- CLI

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="helm-check.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def cluster(p: argparse.ArgumentParser, release: bool = True) -> None:
        p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
        p.add_argument("--context", help="kubeconfig context")
        p.add_argument("--namespace", "-n", default="default", help="release namespace (default: default)")
        if release:
            p.add_argument("--release", "-r", required=True, help="release name")

    def vals(p: argparse.ArgumentParser) -> None:
        p.add_argument("--set", action="append", metavar="KEY=VALUE", help="set a value (repeatable; a.b=c, a={x,y})")
        p.add_argument("--set-string", action="append", metavar="KEY=VALUE", help="set a value as a string")
        p.add_argument("-f", "--values", action="append", metavar="FILE", help="values file (repeatable)")

    p = sub.add_parser("lint", help="lint a chart")
    p.add_argument("chart")
    vals(p)
    p.set_defaults(func=cmd_lint, namespace="default")

    for name, func in (("install", cmd_install), ("upgrade", cmd_upgrade)):
        p = sub.add_parser(name, help=f"{name} a release")
        cluster(p)
        p.add_argument("chart")
        vals(p)
        p.add_argument("--wait", action="store_true", help="wait until the resources are ready")
        p.add_argument("--timeout", type=int, default=300, help="seconds (default 300)")
        p.add_argument("--create-namespace", action="store_true", help="create the namespace if missing")
        p.add_argument("--notes", action="store_true", help="print the chart's NOTES.txt")
        if name != "install":
            p.add_argument("--install", action="store_true", help="install when the release does not exist")
            # As with `helm upgrade`: given no values at all, the release's last values are
            # kept; --reset-values starts again from the chart's defaults.
            p.add_argument("--reset-values", action="store_true", help="start from the chart's default values")
            p.add_argument("--reuse-values", action="store_true", help="merge the given values over the release's")
        p.set_defaults(func=func)

    p = sub.add_parser("status", help="show a release; exits 1 unless it is deployed")
    cluster(p)
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("manifest", help="print the manifests an installed release rendered")
    cluster(p)
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("uninstall", help="uninstall a release")
    cluster(p)
    p.add_argument("--wait", action="store_true", help="wait until the resources are gone")
    p.add_argument("--timeout", type=int, default=300, help="seconds (default 300)")
    p.set_defaults(func=cmd_uninstall)

    p = sub.add_parser("template", help="render manifests to stdout (if the SDK can)")
    p.add_argument("chart")
    p.add_argument("--release", "-r", default="release-name")
    vals(p)
    p.set_defaults(func=cmd_template, namespace="default")

    args = parser.parse_args(argv)
    h = load_sdk()
    return args.func(h, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
