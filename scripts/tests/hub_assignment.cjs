// An nbgrader assignment on JupyterHub, as its users do it in their browsers (headless
// Chromium, Playwright). Called by test_hub.py, once per step of the loop, with PHASE:
//   login     the instructor logs in (their first login makes their course folder)
//   submit    each student, at the same time: Nbgrader > Assignment List, Fetch, open the
//             notebook, replace the text of the cells they answer, save, Submit
//   feedback  each student: Assignment List, Fetch Feedback; then the feedback page, opened
//             from the student's folder with the network refused
//   grades    the instructor opens Formgrader's gradebook of the assignment
// Prints one JSON line: a report per user. Environment: PLAYWRIGHT_CORE, HUB_URL, SHOT_DIR,
// ASSIGNMENT, USERS_FILE (JSON list of {name, password, cells: [{has, hasNot, file, markdown}],
// feedback_dir}: the cells a student answers, found by text they have and have not, and where
// their fetched feedback goes).
const { launch, login } = require("./lab_page.cjs");
const fs = require("fs");
const path = require("path");

const hub = process.env.HUB_URL;
const assignment = process.env.ASSIGNMENT;
const shot = (name) => path.join(process.env.SHOT_DIR, `assignment-${name}.png`);

/** Nbgrader > Assignment List, from the menu, and the list of this course's assignments. */
async function assignmentList(page) {
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Nbgrader$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Assignment List$/ }).click();
  await page.locator("#released_assignments_list").waitFor();
}

/** The row of `assignment` in one of the Assignment List's lists (released, fetched, submitted). */
function row(page, list) {
  return page.locator(`#${list}_assignments_list > .list_item`, { hasText: assignment }).first();
}

async function submit(page, user, report) {
  await assignmentList(page);
  await row(page, "released").locator("button", { hasText: /^Fetch$/ }).click();
  await row(page, "fetched").waitFor();
  // The fetched notebook, from the file browser, as a student opens it: from the top folder
  // (the browser may show the folder the student was in last time).
  await page.locator(".jp-BreadCrumbs-home").click();
  await page.locator(".jp-DirListing-itemText").getByText(assignment, { exact: true }).dblclick();
  await page.locator(".jp-DirListing-itemText").getByText(`${assignment}.ipynb`, { exact: true }).dblclick();
  for (const { has, hasNot, file, markdown } of user.cells) {
    const kind = markdown ? ".jp-MarkdownCell" : ".jp-CodeCell";
    const cell = page.locator(kind).filter({ hasText: has, ...(hasNot ? { hasNotText: hasNot } : {}) });
    // A Markdown cell is edited after a double click on its rendered text, and rendered again
    // with Shift+Enter.
    if (markdown) await cell.locator(".jp-MarkdownOutput").dblclick();
    await cell.locator(".cm-content").waitFor();
    await cell.locator(".cm-content").fill(fs.readFileSync(file, "utf8"));
    // (The keyboard, not the cell's locator: its text no longer has what found it.)
    if (markdown) await page.keyboard.press("Shift+Enter");
  }
  await page.keyboard.press("Control+s");
  await page.locator(".jp-mod-dirty").waitFor({ state: "detached" }).catch(() => null);
  await page.waitForTimeout(1000);
  await assignmentList(page);
  await row(page, "fetched").locator("button", { hasText: /^Submit$/ }).click();
  const submitted = row(page, "submitted");
  await submitted.waitFor();
  report.submitted = await submitted.innerText();
  await page.screenshot({ path: shot(`${user.name}-submitted`) });
}

async function feedback(page, user, report) {
  await assignmentList(page);
  const submitted = row(page, "submitted");
  await submitted.locator("button", { hasText: /^Fetch Feedback$/ }).click();
  await submitted.getByText("(view feedback)").waitFor();
  report.submitted = await submitted.innerText();
  await page.screenshot({ path: shot(`${user.name}-feedback-fetched`) });
}

/** The feedback page the student fetched (the one file of feedback_dir/TIMESTAMP/), opened
 * from their folder as if offline: every request to the network is refused, and listed. */
async function offlinePage(browser, user, report) {
  const [stamp, ...more] = fs.readdirSync(user.feedback_dir);
  if (!stamp || more.length) throw new Error(`${user.feedback_dir} holds ${more.length + !!stamp} fetches, not one`);
  report.feedback_file = path.join(user.feedback_dir, stamp, `${assignment}.html`);
  const context = await browser.newContext({ viewport: { width: 1200, height: 1600 } });
  const requests = [];
  await context.route(/^https?:/, (route) => { requests.push(route.request().url()); return route.abort(); });
  const page = await context.newPage();
  await page.goto(`file://${report.feedback_file}`);
  report.feedback_title = await page.title();
  report.feedback_score = await page.locator("body").innerText().then((t) => (t.match(/Score: [\d.]+ \/ [\d.]+/) || [null])[0]);
  // A figure is an <img> of the SVG, inline (a data: URL); drawn if the browser decoded it.
  const figure = page.locator(".output_svg img").first();
  report.feedback_figure_visible = (await figure.count()) > 0 && (await figure.isVisible()) &&
    (await figure.evaluate((img) => img.complete && img.naturalWidth > 0));
  if (report.feedback_figure_visible) await figure.scrollIntoViewIfNeeded();
  report.web_requests = requests;
  await page.screenshot({ path: shot(`${user.name}-feedback-page`), fullPage: false });
  await context.close();
}

async function grades(page, user, report) {
  await page.goto(`${hub}/user/${user.name}/formgrader/gradebook/${assignment}/${assignment}`);
  // The table is filled in by the page's script, after a "Loading" row.
  const rows = page.locator("table tbody tr", { hasNotText: "Loading" });
  await rows.first().waitFor();
  report.gradebook = await rows.allInnerTexts();
  await page.screenshot({ path: shot("formgrader-gradebook") });
  await page.goto(`${hub}/user/${user.name}/formgrader/manage_assignments`);
  await page.locator("table tbody tr", { hasText: assignment }).first().waitFor();
  report.assignments = await page.locator("table tbody tr").allInnerTexts();
  await page.screenshot({ path: shot("formgrader-assignments") });
}

async function run(user) {
  const report = { name: user.name };
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(180000);
  try {
    const t0 = Date.now();
    await login(page, hub, user.name, user.password);
    report.login_seconds = (Date.now() - t0) / 1000;
    const phase = process.env.PHASE;
    if (phase === "submit") await submit(page, user, report);
    else if (phase === "feedback") {
      await feedback(page, user, report);
      await offlinePage(browser, user, report);
    } else if (phase === "grades") await grades(page, user, report);
    else if (phase !== "login") throw new Error(`unknown PHASE ${phase}`);
    report.seconds = (Date.now() - t0) / 1000;
  } catch (e) {
    report.error = String((e && e.stack) || e);
    await page.screenshot({ path: shot(`${user.name}-error`) }).catch(() => null);
  } finally {
    await browser.close();
  }
  return report;
}

(async () => {
  const users = JSON.parse(fs.readFileSync(process.env.USERS_FILE, "utf8"));
  console.log(JSON.stringify(await Promise.all(users.map(run))));
})();
