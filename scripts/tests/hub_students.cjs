// Three students at once on JupyterHub, each in a browser of their own (headless Chromium,
// Playwright): log in, open the course's Experiment 1 from ~/mnist-lab/notebooks, replace the
// experiment cell's text (their own network), run all cells and wait for the table, the figure
// and the model summary. Prints one JSON line: a report per student. Called by test_hub.py,
// which makes the users, starts the hub and stops it.
// Environment: PLAYWRIGHT_CORE (module path), HUB_URL, STUDENTS_FILE (JSON list of
// {name, password, cell_file}), CELL_ANCHOR (a line of the cell to edit), SHOT_DIR.
const { launch, login, runAll, waitForExperiment1, experimentOutput } = require("./lab_page.cjs");
const fs = require("fs");
const path = require("path");

async function student({ name, password, cell_file }) {
  const report = { name };
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    page.setDefaultTimeout(180000);
    // The first text a kernel sends (the first cell's output), seen on the kernel's websocket:
    // JupyterLab renders only the cells in view, so the page may not hold that cell by then.
    let firstOutput = null;
    page.on("websocket", (ws) => {
      if (!ws.url().includes("/channels")) return;
      ws.on("framereceived", ({ payload }) => {
        const text = typeof payload === "string" ? payload : payload.toString("latin1");
        if (firstOutput === null && /"msg_type":\s*"stream"/.test(text)) firstOutput = Date.now();
        if (/"msg_type":\s*"kernel_info_reply"/.test(text)) kernelReady = true;
        const type = /"msg_type":\s*"([a-z_]+)"/.exec(text);
        const key = type ? type[1] : "?";
        received[key] = (received[key] || 0) + 1;
      });
      ws.on("framesent", ({ payload }) => {
        const text = typeof payload === "string" ? payload : payload.toString("latin1");
        if (/"msg_type":\s*"execute_request"/.test(text)) executeRequests += 1;
      });
    });
    let executeRequests = 0;
    // What the page received on the kernel's websocket, by message type (first header only).
    const received = {};
    report.received = received;
    let kernelReady = false;
    const t0 = Date.now();
    // The hub starts the student's server, then JupyterLab opens in ~/mnist-lab.
    await login(page, process.env.HUB_URL, name, password);
    await page.locator(".jp-DirListing-item", { hasText: "notebooks" }).dblclick();
    report.lab_seconds = (Date.now() - t0) / 1000;
    // A student gets nbgrader's Assignment List but none of its instructor tools.
    report.create_assignment_tabs = await page.locator(".lm-TabBar-tabLabel", { hasText: "Create Assignment" }).count();
    report.formgrader_status = (await page.request.get(`${process.env.HUB_URL}/user/${name}/formgrader`)).status();
    await page.locator(".jp-DirListing-item", { hasText: "experiment1_minimnist.ipynb" }).dblclick();
    const cell = page.locator(".jp-CodeCell").filter({ hasText: process.env.CELL_ANCHOR });
    await cell.locator(".cm-content").waitFor();
    await cell.locator(".cm-content").fill(fs.readFileSync(cell_file, "utf8"));
    report.edited = await cell.locator(".cm-content").innerText();
    // Run once the kernel has answered JupyterLab's first request (kernel_info) on the page's
    // websocket. Run All pressed before (the status bar may already say "Idle" then) was lost
    // in one of three pages in three runs: nothing was sent to the kernel.
    for (let i = 0; !kernelReady && i < 360; i++) await page.waitForTimeout(500);
    // A kernel that never answers (a hung kernel, scripts/evcxr_jupyter.patch part 10): what
    // the status bar said, for the report.
    if (!kernelReady) {
      report.status_without_reply = await page.locator(".jp-StatusBar-TextItem", { hasText: "|" }).first().innerText().catch(() => "?");
    }
    report.kernel_ready_seconds = (Date.now() - t0) / 1000;
    await runAll(page);
    // Whether the page sent the cells to the kernel; if not, a student clicks again.
    await page.waitForTimeout(10000);
    report.execute_requests_sent = executeRequests;
    report.run_all_clicks = 1;
    if (executeRequests === 0) {
      await runAll(page);
      report.run_all_clicks = 2;
    }
    await waitForExperiment1(page, 480000);
    report.done_seconds = (Date.now() - t0) / 1000;
    report.first_output_seconds = firstOutput && (firstOutput - t0) / 1000;
    const { figure, ...shown } = await experimentOutput(cell);
    Object.assign(report, shown);
    await figure.scrollIntoViewIfNeeded();
    await figure.screenshot({ path: path.join(process.env.SHOT_DIR, `hub-${name}-figure.png`) });
    // Save, so that the test can read the student's copy of the notebook.
    await page.keyboard.press("Control+s");
    await page.waitForTimeout(2000);
  } catch (e) {
    report.error = String(e && e.stack || e);
    const shot = path.join(process.env.SHOT_DIR, `hub-${name}-error.png`);
    await page.screenshot({ path: shot }).catch(() => null);
    report.error_shot = shot;
  } finally {
    await browser.close();
  }
  return report;
}

(async () => {
  const students = JSON.parse(fs.readFileSync(process.env.STUDENTS_FILE, "utf8"));
  const reports = await Promise.all(students.map(student));
  console.log(JSON.stringify(reports));
})();
