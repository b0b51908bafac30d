// Drives JupyterLab in headless Chromium like a student: opens Experiment 1, replaces the
// experiment cell's text (network and epochs), runs all cells, waits for the kernel, and
// reports what the page shows. Then runs the cell again for many epochs, takes two pictures of
// its live figure while it trains, stops it with Kernel > Interrupt Kernel, and runs a new cell
// that reads the history; then runs the experiment cell with a network that does not fit, and
// reads the history again in a new cell (the failed cell must keep it). Called by test_browser.py, which starts and stops the server.
// Environment: PLAYWRIGHT_CORE (module path), LAB_URL (the login URL scripts/lab printed), CELL_ANCHOR (a line of the cell
// to edit that the edit keeps), CELL_NEW_FILE (the new text of that cell), CELL_LONG_FILE (its
// text for the long run), CELL_BAD_FILE (its text with a network that does not fit), SHOT (where to save the figure; the live pictures go beside it).
const { launch, runAll, waitForExperiment1, experimentOutput } = require("./lab_page.cjs");
const fs = require("fs");

/** Inserts a code cell below the active one, types `code` into it and runs it, by keys. */
async function runNewCell(page, code) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("b");
  await page.keyboard.press("Enter");
  await page.keyboard.type(code);
  await page.keyboard.press("Shift+Enter");
}

(async () => {
  const browser = await launch();
  const report = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(120000);
    // Log in with the URL as printed, then open the notebook, as a student would.
    await page.goto(process.env.LAB_URL);
    await page.locator(".jp-DirListing-item", { hasText: "experiment1_minimnist.ipynb" }).dblclick();
    const cell = page.locator(".jp-CodeCell").filter({ hasText: process.env.CELL_ANCHOR });
    await cell.locator(".cm-content").waitFor();
    await cell.locator(".cm-content").fill(fs.readFileSync(process.env.CELL_NEW_FILE, "utf8"));
    report.edited = await cell.locator(".cm-content").innerText();

    await runAll(page);
    const t0 = Date.now();
    await waitForExperiment1(page, 600000);
    report.run_seconds = (Date.now() - t0) / 1000;
    report.kernel_status = await page.locator(".jp-Notebook-ExecutionIndicator").first().getAttribute("data-status").catch(() => null);
    const { figure, ...shown } = await experimentOutput(cell);
    Object.assign(report, shown);
    // Toasts (news, update checks) that would cover the figures.
    report.toasts = await page.locator(".Toastify__toast").allInnerTexts();
    await figure.scrollIntoViewIfNeeded();
    await figure.screenshot({ path: process.env.SHOT });
    await page.screenshot({ path: process.env.SHOT.replace(/\.png$/, "-page.png") });

    // A long run: the live figure (inline SVG in the cell's live area) changes while it trains.
    await cell.locator(".cm-content").fill(fs.readFileSync(process.env.CELL_LONG_FILE, "utf8"));
    await cell.locator(".cm-content").press("Shift+Enter");
    const live = cell.locator(".jp-OutputArea .jp-RenderedHTMLCommon svg").first();
    await live.waitFor({ timeout: 120000 });
    // The figure is redrawn (a new element) at every update, several times a second: take the
    // page's pixels where it is rather than the element, which may be replaced mid-shot.
    const shoot = async (path) => {
      for (let tries = 0; ; tries++) {
        const box = await live.boundingBox().catch(() => null);
        if (box) return page.screenshot({ path, clip: box });
        if (tries > 20) throw new Error("the live figure did not stay on the page");
        await page.waitForTimeout(100);
      }
    };
    await page.waitForTimeout(1000);
    const shotA = await shoot(process.env.SHOT.replace(/\.png$/, "-live-1.png"));
    await page.waitForTimeout(2000);
    const shotB = await shoot(process.env.SHOT.replace(/\.png$/, "-live-2.png"));
    report.live_figure_changed = !shotA.equals(shotB);
    // The table stays together above the live figure: wait for a moment with the header and
    // at least two rows above it and none below (a row shows below it only until it is next
    // redrawn, a fraction of a second later).
    const layout = await page.waitForFunction(
      (anchor) => {
        const c = [...document.querySelectorAll(".jp-CodeCell")].find((e) => e.innerText.includes(anchor));
        const outputs = c ? [...c.querySelectorAll(".jp-OutputArea-child")] : [];
        const at = outputs.findIndex((o) => o.querySelector("svg"));
        const rows = (o) => (o.innerText.match(/^ *\d+ {3}\d/gm) || []).length;
        const sum = (list) => list.reduce((n, o) => n + rows(o), 0);
        const above = sum(outputs.slice(0, at)), below = sum(outputs.slice(at + 1));
        const header = outputs.slice(0, at).some((o) => o.innerText.includes("lossL"));
        return at > 0 && header && above >= 2 && below === 0 && { above, below, outputs: outputs.length };
      },
      process.env.CELL_ANCHOR,
      { timeout: 60000, polling: 50 },
    );
    report.live_layout = await layout.jsonValue();
    await live.scrollIntoViewIfNeeded().catch(() => null);
    await page.screenshot({ path: process.env.SHOT.replace(/\.png$/, "-live-table.png") });
    // Kernel > Interrupt Kernel, from the menu.
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Kernel$/ }).click();
    await page.locator(".lm-Menu-itemLabel", { hasText: /^Interrupt Kernel$/ }).click();
    const t1 = Date.now();
    await page.waitForFunction(
      (anchor) => {
        const c = [...document.querySelectorAll(".jp-CodeCell")].find((e) => e.innerText.includes(anchor));
        return c && /^\[\d+\]:$/.test(c.querySelector(".jp-InputPrompt").textContent.trim()) &&
          c.querySelector(".jp-OutputArea").innerText.includes("Total params");
      },
      process.env.CELL_ANCHOR,
      { timeout: 60000, polling: 100 },
    );
    report.interrupt_seconds = (Date.now() - t1) / 1000;
    report.interrupted_text = await cell.locator(".jp-OutputArea").innerText();
    await page.screenshot({ path: process.env.SHOT.replace(/\.png$/, "-interrupted.png") });
    // A new cell below reads what the interrupted cell made.
    await runNewCell(page, 'println!("kept {} epochs, {} parameters", history.len(), net.num_parameters());');
    await page.waitForFunction(() => document.body.innerText.includes("kept "), null, { timeout: 60000 });
    report.after_text = (await page.locator(".jp-OutputArea", { hasText: "kept " }).last().innerText()).trim();

    // The experiment cell once more, with a network that does not fit the data: it fails at
    // `train(...)?`, after defining net, nepoch and history again. A cell that reads them must
    // find the values of the interrupted run.
    await cell.locator(".cm-content").fill(fs.readFileSync(process.env.CELL_BAD_FILE, "utf8"));
    await cell.locator(".cm-content").press("Shift+Enter");
    const failed = cell.locator(".jp-OutputArea", { hasText: "ends with 100" });
    await failed.waitFor({ timeout: 120000 });
    report.failed_text = await failed.innerText();
    await failed.scrollIntoViewIfNeeded();
    await page.screenshot({ path: process.env.SHOT.replace(/\.png$/, "-failed.png") });
    // (A new cell, as before: JupyterLab keeps only the cells near the view in the page.)
    await runNewCell(page, 'println!("still kept {} epochs, {} parameters", history.len(), net.num_parameters());');
    const still = page.locator(".jp-OutputArea", { hasText: "still kept " });
    await still.waitFor({ timeout: 60000 });
    report.still_text = (await still.innerText()).trim();
    await page.screenshot({ path: process.env.SHOT.replace(/\.png$/, "-kept.png") });
  } catch (e) {
    report.error = String(e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(report));
})();
