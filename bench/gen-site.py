#!/usr/bin/env python3
"""Generate a benchmark site: the repo's example profile plus N Markdown pages.

    gen-site.py N OUTDIR [--hugo] [--seed S]

Without --hugo, OUTDIR is a `profile` site: site.toml, content/index.md and assets/ copied from
the repository root, plus content/page-NNNNN.md.

With --hugo, OUTDIR is the equivalent Hugo site: hugo.toml, minimal layouts that render the same
things as profile's theme (the same navigation: every page, or past 20 pages the first 19 and a
link to pages/, the list of all pages), the same Markdown bodies and front matter, the index
body as content/_index.md, and the stylesheet, logo and audio under static/assets/.

The output is deterministic: the same N and seed give byte-identical files. Stdlib only.
"""

import argparse
import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

WORDS = (
    "alpha beta gamma delta network socket packet router server client request response "
    "header cache proxy stream buffer thread process kernel memory page table index query "
    "latency throughput bandwidth protocol handshake session token cookie origin resource "
    "static dynamic render template markdown parser compiler linker module crate build "
    "deploy release version commit branch merge review test bench profile student course "
    "lecture lab report grade campus library badminton music travel coffee morning evening"
).split()

CODE = [
    "fn main() {",
    '    let name = "{w}";',
    "    for i in 0..{n} {",
    '        println!("{} {}", name, i);',
    "    }",
    "}",
]


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def sentence(rng):
    s = words(rng, rng.randint(6, 14))
    return s[0].upper() + s[1:] + "."


def paragraph(rng, lines=3):
    """A paragraph wrapped over `lines` source lines, with some inline markup."""
    out = []
    for i in range(lines):
        line = sentence(rng) + " " + sentence(rng)
        if i == 1:
            line += f" Some **{rng.choice(WORDS)}** and `{rng.choice(WORDS)}` too."
        out.append(line)
    return out


def page(rng, i):
    """One page of ~40 lines: (title, weight, markdown body)."""
    title = f"{words(rng, 3).title()} {i}"
    weight = rng.randint(1, 100)  # 0 means "unweighted" in Hugo; avoid it
    lines = [f"# {title}", ""]
    lines += paragraph(rng) + [""]
    lines += [f"## {words(rng, 2).title()}", ""]
    lines += paragraph(rng, 2) + [""]
    lines += [f"- {words(rng, rng.randint(2, 6))}" for _ in range(4)] + [""]
    lines += [f"## {words(rng, 2).title()}", ""]
    lines += ["| Name | Kind | Size | Note |", "|------|------|-----:|------|"]
    for _ in range(5):
        lines.append(
            f"| {rng.choice(WORDS)} | {rng.choice(WORDS)} | {rng.randint(1, 9999)} "
            f"| {words(rng, 3)} |"
        )
    lines += ["", "```rust"]
    lines += [c.replace("{w}", rng.choice(WORDS)).replace("{n}", str(rng.randint(2, 9)))
              for c in CODE]
    lines += ["```", ""]
    lines += [f"## {words(rng, 2).title()}", ""]
    lines += paragraph(rng, 2)
    lines.append(f"See [{words(rng, 2)}](https://example.com/{rng.choice(WORDS)}/{i}) for more.")
    return title, weight, "\n".join(lines) + "\n"


def toml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_pages(content, n, seed):
    content.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for i in range(1, n + 1):
        title, weight, body = page(rng, i)
        front = f"+++\ntitle = {toml_str(title)}\nweight = {weight}\n+++\n\n"
        (content / f"page-{i:05d}.md").write_text(front + body, encoding="utf-8")


def gen_profile(out, n):
    shutil.copy(REPO / "site.toml", out / "site.toml")
    shutil.copytree(REPO / "assets", out / "assets")
    (out / "content").mkdir()
    shutil.copy(REPO / "content" / "index.md", out / "content" / "index.md")


# Hugo: the profile data as params, and templates doing what profile's theme does — a head with
# stylesheet and icon, a nav of every page (with aria-current), the body, a footer.
HUGO_CONFIG = """\
baseURL = "/"
title = {title}
languageCode = {lang}
relativeURLs = true            # profile writes relative URLs too
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
enableGitInfo = false

[markup.highlight]
codeFences = false             # profile does no highlighting
[markup.goldmark.renderer]
unsafe = true                  # profile passes raw HTML through
[markup.goldmark.extensions]
typographer = false            # profile has no smart punctuation
linkify = false                # nor autolinks

[params]
description = {description}
name = {name}
student_id = {student_id}
major = {major}
"""

HUGO_LAYOUTS = {
    "partials/head.html": """\
<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} · {{ site.Title }}{{ end }}</title>
<meta name="description" content="{{ site.Params.description }}">
<link rel="icon" href="{{ "assets/logo.svg" | relURL }}" type="image/svg+xml">
<link rel="stylesheet" href="{{ "assets/style.css" | relURL }}">
</head>
<body>
""",
    # Like profile's nav: with more than 20 pages, the first 19 and "All pages (N)".
    "partials/nav.html": """\
{{ $current := . }}{{ $n := len site.RegularPages }}{{ $over := gt $n 20 }}
<nav class="site-nav" aria-label="导航">
  <ul>
    <li><a href="{{ "index.html" | relURL }}"{{ if .IsHome }} aria-current="page"{{ end }}>首页</a></li>
    {{ range first (cond $over 19 20) site.RegularPages }}<li><a href="{{ .RelPermalink }}"{{ if eq . $current }} aria-current="page"{{ end }}>{{ .Title }}</a></li>
    {{ end }}{{ if $over }}<li><a href="{{ "pages/" | relURL }}"{{ if eq .Kind "section" }} aria-current="page"{{ end }}>全部页面 ({{ $n }})</a></li>{{ end }}
  </ul>
</nav>
""",
    "partials/foot.html": """\
<footer class="site-footer"><p>{{ site.Title }}</p></footer>
</body>
</html>
""",
    "index.html": """\
{{ partial "head.html" . }}{{ partial "nav.html" . }}
<main id="main">
<section class="card profile">
  <img src="{{ "assets/logo.svg" | relURL }}" alt="{{ site.Params.name }}">
  <h1>{{ site.Params.name }}</h1>
  <dl><dt>学号</dt><dd>{{ site.Params.student_id }}</dd><dt>专业</dt><dd>{{ site.Params.major }}</dd></dl>
  <audio controls src="{{ "assets/introduction.mp3" | relURL }}"></audio>
</section>
<article class="card prose">{{ .Content }}</article>
</main>
{{ partial "foot.html" . }}""",
    "_default/single.html": """\
{{ partial "head.html" . }}{{ partial "nav.html" . }}
<main id="main">
<article class="card prose">{{ .Content }}</article>
</main>
{{ partial "foot.html" . }}""",
    # Only content/pages/_index.md uses it: the list of all pages, like profile's pages/index.html.
    "_default/list.html": """\
{{ partial "head.html" . }}{{ partial "nav.html" . }}
<main id="main">
<article class="card prose"><h1>{{ .Title }}</h1>
<ul class="all-pages">
{{ range site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul>
</article>
</main>
{{ partial "foot.html" . }}""",
}


def gen_hugo(out, n):
    import tomllib  # Python 3.11+; only needed to carry the profile data over

    site = tomllib.loads((REPO / "site.toml").read_text(encoding="utf-8"))
    p = site["profile"]
    (out / "hugo.toml").write_text(
        HUGO_CONFIG.format(
            title=toml_str(site["title"]),
            lang=toml_str(site.get("lang", "en")),
            description=toml_str(site.get("description", "")),
            name=toml_str(p["name"]),
            student_id=toml_str(p["student_id"]),
            major=toml_str(p["major"]),
        ),
        encoding="utf-8",
    )
    for name, text in HUGO_LAYOUTS.items():
        path = out / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # profile publishes these (fingerprinted) under assets/; Hugo just copies them.
    static = out / "static" / "assets"
    shutil.copytree(REPO / "assets", static)
    shutil.copy(REPO / "theme" / "style.css", static / "style.css")
    # content/index.md would turn Hugo's whole content/ into one leaf bundle; _index.md is home.
    (out / "content").mkdir()
    shutil.copy(REPO / "content" / "index.md", out / "content" / "_index.md")
    if n > 20:  # profile then writes pages/index.html, listing every page
        (out / "content" / "pages").mkdir()
        (out / "content" / "pages" / "_index.md").write_text('+++\ntitle = "全部页面"\n+++\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of generated pages")
    ap.add_argument("outdir", type=Path, help="directory to create (must not exist)")
    ap.add_argument("--hugo", action="store_true", help="generate the equivalent Hugo site")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args()
    if args.outdir.exists():
        sys.exit(f"gen-site.py: {args.outdir} already exists")
    args.outdir.mkdir(parents=True)
    (gen_hugo if args.hugo else gen_profile)(args.outdir, args.n)
    write_pages(args.outdir / "content", args.n, args.seed)


if __name__ == "__main__":
    main()
