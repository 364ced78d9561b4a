// md_test.mjs — web/md.mjs, the lessons' Markdown subset as HTML, without a
// browser: fixed cases (escaping, inline markup, blocks), then every
// section of every lesson as `cml course show ID --json` gives it: the HTML
// must hold no raw markup characters outside code (each **, * pair and `
// became a tag), no tag but the few the renderer writes, and all the text.
// Usage: node md_test.mjs CML   (CML_COURSES picks the lessons folder)
import { execFileSync } from "node:child_process";
import { renderMarkdown, inline, escapeHtml } from "../../web/md.mjs";

const cml = process.argv[2];
let passed = 0,
  failed = 0;
function eq(what, got, want) {
  if (got === want) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what}\n  got:  ${got}\n  want: ${want}`);
  }
}
function ok(what, cond, detail = "") {
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what} ${detail}`);
  }
}

// ---------------------------------------------------------------- fixed cases
eq("escape", escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
eq("script stays text", renderMarkdown("<script>alert(1)</script>"), "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
eq("bold", inline("a **b c** d"), "a <strong>b c</strong> d");
eq("italic", inline("a *b* d"), "a <em>b</em> d");
eq("code is literal", inline("`**x** <y>`"), "<code>**x** &lt;y&gt;</code>");
eq("code inside bold", inline("**`k`.** size"), "<strong><code>k</code>.</strong> size");
eq("multiplication is not italic", inline("2 * 3 * 4 and x*y*z"), "2 * 3 * 4 and x*y*z");
eq("unpaired backtick stays", inline("a ` b"), "a ` b");
eq("NUL cannot forge a code span", inline("\u00000\u0000 `x`"), "0 <code>x</code>");
eq("paragraphs", renderMarkdown("a\nb\n\nc"), "<p>a b</p>\n<p>c</p>");
eq("list", renderMarkdown("- a\n- b\n  c\n\nd"), "<ul><li>a</li><li>b c</li></ul>\n<p>d</p>");
eq("fence", renderMarkdown("```c\nint x<3;\n\n**no**\n```"), '<pre><code class="language-c">int x&lt;3;\n\n**no**</code></pre>');
eq("fence language is sanitised", renderMarkdown('```"><x\ny\n```'), "<pre><code>y</code></pre>");
eq("sub-heading", renderMarkdown("### Sub"), "<h4>Sub</h4>");

// ---------------------------------------------------------------- every lesson
if (cml) {
  const list = JSON.parse(execFileSync(cml, ["course", "list", "--json"], { encoding: "utf8" }));
  const ids = list.sections.flatMap((s) => s.topics.map((t) => t.id));
  ok("lessons found", ids.length > 0);
  const allowed = new Set(["p", "ul", "li", "strong", "em", "code", "pre", "h3", "h4", "h5"]);
  for (const id of ids) {
    const l = JSON.parse(execFileSync(cml, ["course", "show", id, "--json"], { encoding: "utf8" }));
    for (const s of l.sections) {
      const html = renderMarkdown(s.markdown);
      const tags = [...html.matchAll(/<\/?([a-z0-9]+)[^>]*>/g)].map((m) => m[1]);
      const bad = tags.filter((t) => !allowed.has(t));
      ok(`${id} / ${s.heading}: only the renderer's tags`, bad.length === 0, bad.join(","));
      // outside <pre>/<code>, no markup character may be left over
      const prose = html.replace(/<pre>[\s\S]*?<\/pre>/g, "").replace(/<code>[\s\S]*?<\/code>/g, "");
      const left = prose.replace(/<[^>]+>/g, "");
      ok(`${id} / ${s.heading}: no leftover ** or \``, !/\*\*|`/.test(left), JSON.stringify(left.match(/.{0,30}(\*\*|`).{0,30}/)?.[0]));
      // every word of the source survives (markup aside)
      const words = (t) => t.replace(/[*`#-]/g, " ").split(/\s+/).filter(Boolean).length;
      const text = html.replace(/<[^>]+>/g, " ").replace(/&lt;|&gt;|&amp;|&quot;|&#39;/g, "x");
      ok(`${id} / ${s.heading}: no text lost`, words(text) >= words(s.markdown) * 0.98, `${words(text)} vs ${words(s.markdown)}`);
    }
  }
  console.log(`md_test: rendered ${ids.length} lessons`);
}
console.log(`md_test: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
