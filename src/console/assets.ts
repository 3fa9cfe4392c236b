/** The console's one stylesheet, served from /console/assets/console.css (CSP: style-src 'self'). */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1d232a; --muted: #5b6670; --line: #d5dbe1; --bg: #fff;
  --accent: #0b5cad; --warn-bg: #fff4e0; --warn: #8a4b00; --bad-bg: #fdecec; --bad: #a11d1d;
  --ok-bg: #e8f6ec; --ok: #19692c; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e4e8ec; --muted: #9aa6b1; --line: #39424b; --bg: #14181c; --accent: #79b4f2;
    --warn-bg: #3a2a10; --warn: #f3c27a; --bad-bg: #3d1717; --bad: #f29a9a; --ok-bg: #15321e; --ok: #8fd6a2; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 600; color: inherit; text-decoration: none; }
header.top form { margin-left: auto; }
main { padding: 1rem 1.2rem 3rem; max-width: 72rem; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: .8rem; font-size: .8rem; font-weight: 600; background: var(--line); }
.badge[data-state=blocked], .badge[data-outcome=blocked] { background: var(--warn-bg); color: var(--warn); }
.badge[data-state=failing], .badge[data-outcome=failed] { background: var(--bad-bg); color: var(--bad); }
.badge[data-state=running] { background: var(--ok-bg); color: var(--accent); }
.badge[data-outcome=applied], .badge[data-outcome=unchanged] { background: var(--ok-bg); color: var(--ok); }
.notice, .error, section.blocked { padding: .7rem 1rem; border-radius: .4rem; margin: .8rem 0; }
.notice { background: var(--ok-bg); color: var(--ok); }
.error { background: var(--bad-bg); color: var(--bad); }
section.blocked { background: var(--warn-bg); border: 1px solid var(--warn); }
section.blocked h2 { margin-top: 0; color: var(--warn); }
button { font: inherit; padding: .35rem .9rem; border-radius: .3rem; border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
form.inline { display: inline; }
.actions { display: flex; gap: .6rem; align-items: center; margin: .6rem 0; }
nav#sections { display: flex; gap: .3rem; border-bottom: 1px solid var(--line); margin: 1rem 0 .4rem; }
nav#sections a { padding: .4rem .8rem; text-decoration: none; border: 1px solid transparent; border-bottom: none; border-radius: .3rem .3rem 0 0; }
nav#sections a[aria-current=page] { border-color: var(--line); background: var(--bg); font-weight: 600; margin-bottom: -1px; }
.pager { display: flex; gap: 1rem; align-items: center; margin: .6rem 0; }
.change { white-space: nowrap; }
.change del { color: var(--bad); } .change ins { color: var(--ok); text-decoration: none; }
form#login { display: grid; gap: .6rem; max-width: 24rem; }
form#login input { font: inherit; padding: .4rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .4rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
`;
