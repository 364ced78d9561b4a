// md.mjs — the lessons' Markdown subset as HTML (docs/lesson-format: "## "
// headings, paragraphs, "- " bullets one level deep, **bold**, *italic*,
// `code`, fenced code blocks; nothing else). Every character of the source
// is escaped first, so a lesson can never inject markup: only the tags
// written below ever reach the page.

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

// Inline markup of one block's text. Code spans are cut out first (their
// content is literal, and they may sit inside bold: **`k`.**), the rest is
// escaped and gets **bold** then *italic*; an unpaired marker stays text.
// The code spans come back through a placeholder character that escaped
// text cannot contain.
export function inline(text) {
  const codes = [];
  const src = String(text).replace(/\u0000/g, "");
  const cut = src.replace(/`([^`]+)`/g, (_, c) => `\u0000${codes.push(c) - 1}\u0000`);
  let s = escapeHtml(cut);
  s = s.replace(/\*\*(\S(?:[^*]*?\S)?)\*\*/g, "<strong>$1</strong>");
  s = s.replace(/(^|[^*\w])\*(\S(?:[^*]*?\S)?)\*(?![*\w])/g, "$1<em>$2</em>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => "<code>" + escapeHtml(codes[Number(i)]) + "</code>");
}

// Block structure: fences, headings, bullet lists (the lines after a bullet,
// up to a blank line, continue it), paragraphs (consecutive lines joined).
export function renderMarkdown(md) {
  const lines = String(md).replace(/\r\n?/g, "\n").split("\n");
  const html = [];
  let para = [];
  let list = null; // array of items, each an array of lines
  const flushPara = () => {
    if (para.length) html.push("<p>" + inline(para.join(" ")) + "</p>");
    para = [];
  };
  const flushList = () => {
    if (list) html.push("<ul>" + list.map((it) => "<li>" + inline(it.join(" ")) + "</li>").join("") + "</ul>");
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*```(.*)$/.exec(line);
    if (fence) {
      flushPara();
      flushList();
      const code = [];
      i++;
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) code.push(lines[i++]);
      const lang = fence[1].trim();
      const cls = /^[\w+-]+$/.test(lang) ? ` class="language-${lang}"` : "";
      html.push(`<pre><code${cls}>` + escapeHtml(code.join("\n")) + "</code></pre>");
      continue;
    }
    const heading = /^(#{2,4})\s+(.*)$/.exec(line);
    if (heading) {
      flushPara();
      flushList();
      // lesson parts are <h2>; headings inside a part sit one level below
      const level = Math.min(heading[1].length + 1, 6);
      html.push(`<h${level}>` + inline(heading[2].trim()) + `</h${level}>`);
      continue;
    }
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    if (bullet) {
      flushPara();
      if (!list) list = [];
      list.push([bullet[1].trim()]);
      continue;
    }
    if (/^\s*$/.test(line)) {
      flushPara();
      flushList();
      continue;
    }
    if (list) {
      // as in CommonMark, a line that starts no new block continues the item
      list[list.length - 1].push(line.trim());
      continue;
    }
    para.push(line.trim());
  }
  flushPara();
  flushList();
  return html.join("\n");
}
