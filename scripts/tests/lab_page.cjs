// What the browser drivers (browser_experiment1.cjs, hub_students.cjs, hub_assignment.cjs) do
// alike in JupyterLab: start headless Chromium, log in at the hub, press Run > Run All Cells,
// wait for Experiment 1 to finish, and read its cell's output and figure.
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

/** Debian's Chromium, headless, through Playwright. */
function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** Logs `name` in at the hub `hubUrl` and waits for JupyterLab's file browser: the hub has
 * started their server (on the first login, it makes their folder). */
async function login(page, hubUrl, name, password) {
  await page.goto(`${hubUrl}/hub/login`);
  await page.fill("#username_input", name);
  await page.fill("#password_input", password);
  await page.click("#login_submit");
  await page.locator(".jp-DirListing-item").first().waitFor();
}

/** Run > Run All Cells, from the menu, as a student does. */
async function runAll(page) {
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
}

/** Waits until every code cell has a number in its prompt (none pending "[*]" or empty) and
 * the last code cell has printed the model summary. */
function waitForExperiment1(page, timeout) {
  return page.waitForFunction(
    () => {
      const prompts = [...document.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map((p) => p.textContent.trim());
      return prompts.length > 0 && prompts.every((p) => /^\[\d+\]:$/.test(p)) &&
        document.body.innerText.includes("Total params");
    },
    null,
    { timeout, polling: 1000 },
  );
}

/** The text of `cell`'s output and its first figure: { output_text, figure, figure_visible,
 * figure_size }. */
async function experimentOutput(cell) {
  const out = cell.locator(".jp-OutputArea");
  const output_text = await out.innerText();
  const figure = out.locator(".jp-RenderedSVG img, .jp-RenderedSVG svg, .jp-RenderedImage img").first();
  const figure_visible = await figure.isVisible();
  const box = await figure.boundingBox();
  return { output_text, figure, figure_visible, figure_size: box && [Math.round(box.width), Math.round(box.height)] };
}

module.exports = { launch, login, runAll, waitForExperiment1, experimentOutput };
