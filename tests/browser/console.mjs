// Drives Roster's console in Debian's headless Chromium as an owner and a platform admin would:
// every control found by its accessible name. Called by the Rust browser test
// (crates/roster/tests/api/browser.rs), which starts the release binary, signs up ROOT_EMAIL as
// a platform admin and leaves one dead job. Prints "ok" at the end, or throws.
//
//   node console.mjs BASE_URL SCREENSHOT_DIR ROOT_EMAIL PASSWORD
//
// Every page is also checked for Content-Security-Policy violations and script errors, and
// photographed at 375 px and 1280 px, light and dark.
import { check, launch, totp } from "./common.mjs";
import { mkdirSync, readFileSync } from "node:fs";

const [base, shots, ROOT, PASSWORD] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });

async function call(method, path, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
async function login(email) {
  const reply = await call("POST", "/v1/auth/login", null, { email, password: PASSWORD });
  check(reply.status === 200, `login of ${email}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}
async function create(token, body) {
  const reply = await call("POST", "/v1/users", token, body);
  check(reply.status === 201, `create ${body.email}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

const browser = await launch();
const problems = [];
async function signedIn(email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error}`));
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Your account", level: 1 }).waitFor();
  return { context, page };
}
async function navLinks(page) {
  return (await page.getByRole("navigation", { name: "Console" }).getByRole("link").allTextContents()).map((t) => t.trim());
}
async function shot(page, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [width, height] of [[1280, 900], [375, 800]]) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: `${shots}/console-${name}-${width}-${scheme}.png`, fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 900 });
}
function region(page, name) {
  return page.getByRole("region", { name });
}

try {
  // The owner's team, made through the API.
  const signup = await call("POST", "/v1/users", null, { email: "olive@example.com", password: PASSWORD, name: "Olive Owner" });
  check(signup.status === 201, `owner sign-up: ${signup.status}`);
  const owner = (await login("olive@example.com")).token;
  const account = (await call("GET", "/v1/users/profile", owner)).body.active_account_id;
  await create(owner, { email: "grace@example.com", password: PASSWORD, name: "Grace Hopper" });
  await create(owner, { email: "mia@example.com", password: PASSWORD, name: "Mia Wong" });
  for (const n of [1, 2, 3]) await create(owner, { email: `bulk${n}@example.com`, password: PASSWORD, name: `Bulk Person ${n}` });
  for (let i = 0; i < 250; i++) {
    const name = i === 13 ? "=2+3 Crew" : `Crew ${String(i).padStart(3, "0")}`;
    await create(owner, { email: `crew${String(i).padStart(3, "0")}@example.com`, name });
  }
  const europe = (await call("POST", "/v1/accounts", owner, { name: "Europe", parent_id: account })).body.id;
  const paris = await call("POST", "/v1/accounts", owner, { name: "Paris", parent_id: europe });
  check(paris.status === 201, `sub-account: ${paris.status}`);
  // Mia turns two-factor authentication on.
  const mia = (await login("mia@example.com")).token;
  const started = await call("POST", "/v1/auth/mfa/totp", mia, {});
  const confirmed = await call("POST", "/v1/auth/mfa/totp/confirm", mia, { code: totp(started.body.secret) });
  check(confirmed.status === 200, `Mia's two-factor: ${confirmed.status}`);
  const grace = (await login("grace@example.com")).token;

  // The owner sees Users and Accounts, not the platform's sections.
  const { page } = await signedIn("olive@example.com");
  await page.goto(`${base}/console`);
  await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();
  const ownerLinks = await navLinks(page);
  check(JSON.stringify(ownerLinks) === JSON.stringify(["Users", "Accounts"]), `owner's links: ${ownerLinks}`);
  await shot(page, "users");

  // Search as one types: the list changes without the page being loaded again.
  await page.evaluate(() => { window.stillThisPage = true; });
  await page.getByLabel("Search users").pressSequentially("grace", { delay: 40 });
  await page.getByRole("link", { name: "Grace Hopper" }).waitFor();
  await page.waitForFunction(() => !document.querySelector("#results").textContent.includes("Crew 000"));
  check(await page.evaluate(() => window.stillThisPage === true), "the search did not reload the page");
  check(page.url().includes("q=grace"), `the address follows the search: ${page.url()}`);

  // Grace's page: suspended (her open session is refused at once), then reactivated.
  await page.getByRole("link", { name: "Grace Hopper" }).click();
  await page.getByRole("heading", { name: "Grace Hopper", level: 1 }).waitFor();
  await shot(page, "user");
  await page.getByRole("button", { name: "Suspend" }).click();
  await page.getByRole("status").getByText("The user is suspended").waitFor();
  const refused = await call("GET", "/v1/users/profile", grace);
  check(refused.status === 401, `Grace's session after the suspension: ${refused.status}`);
  await page.getByRole("button", { name: "Reactivate" }).click();
  await page.getByRole("status").getByText("The user is active again.").waitFor();
  await login("grace@example.com");

  // A scope granted in the console shows in "Why?".
  const membership = page.getByRole("region", { name: "Membership in Olive Owner's account" });
  await membership.getByLabel("Grants").fill("billing");
  await membership.getByRole("button", { name: "Save membership" }).click();
  await page.getByRole("status").getByText("The membership is saved.").waitFor();
  await page.getByRole("region", { name: "Membership in Olive Owner's account" }).locator("summary", { hasText: "Scopes" }).click();
  await page.getByRole("link", { name: "Why? billing in Olive Owner's account" }).click();
  await page.getByText("granted by grant billing").waitFor();

  // An owner resets Mia's two-factor authentication: she signs in with the password alone.
  await page.goto(`${base}/console/users?q=mia`);
  await page.getByRole("link", { name: "Mia Wong" }).click();
  await page.getByRole("button", { name: "Reset two-factor" }).click();
  await page.getByRole("status").getByText("Two-factor authentication is off").waitFor();
  const alone = await login("mia@example.com");
  check(typeof alone.token === "string" && !alone.mfa_required, `Mia signs in with her password: ${JSON.stringify(alone)}`);

  // The CSV export of a filtered list of 250 users: every row, and the formula neutralised.
  await page.goto(`${base}/console/users`);
  await page.getByLabel("Search users").pressSequentially("crew", { delay: 20 });
  await page.waitForFunction(() => !document.querySelector("#results").textContent.includes("Grace Hopper"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
  const csv = readFileSync(await download.path(), "utf8");
  const lines = csv.split("\r\n").filter((line) => line.length > 0);
  check(lines.length === 251, `a header and 250 rows: ${lines.length}`);
  check(csv.includes(",'=2+3 Crew,"), "the formula is neutralised");

  // Bulk suspension of three users, each result shown.
  await page.getByLabel("Search users").fill("");
  await page.getByLabel("Search users").pressSequentially("bulk", { delay: 20 });
  await page.waitForFunction(() => document.querySelectorAll('#results input[name="user"]').length === 3);
  check(await page.getByRole("button", { name: "Suspend" }).isDisabled(), "nothing selected: Suspend is off");
  for (const n of [1, 2, 3]) await page.getByLabel(`Select Bulk Person ${n}`).check();
  check(await page.getByRole("button", { name: "Suspend" }).isEnabled(), "rows selected: Suspend is on");
  await page.getByRole("button", { name: "Suspend" }).click();
  const results = page.getByRole("region", { name: "Results" });
  await results.waitFor();
  check((await results.getByText("Suspended.").count()) === 3, `three suspended: ${await results.textContent()}`);
  await shot(page, "bulk");

  // Who can, on the account tree.
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Accounts" }).click();
  await page.getByRole("link", { name: "Paris" }).waitFor();
  await shot(page, "accounts");
  await page.getByRole("link", { name: "Paris" }).click();
  await page.getByLabel("Scope").selectOption("users.delete");
  await page.getByRole("button", { name: "Show who can" }).click();
  await page.getByRole("cell", { name: /granted by role owner inherited from account/ }).waitFor();
  await shot(page, "account");
  const forbidden = await page.goto(`${base}/console/jobs`);
  check(forbidden.status() === 403, `an owner on the jobs page: ${forbidden.status()}`);

  // The platform admin sees every section, and retries the dead job.
  const root = await signedIn(ROOT);
  await root.page.goto(`${base}/console/jobs`);
  const rootLinks = await navLinks(root.page);
  check(JSON.stringify(rootLinks) === JSON.stringify(["Users", "Accounts", "Jobs", "Audit log", "Announcements"]),
    `platform admin's links: ${rootLinks}`);
  await root.page.getByRole("img", { name: /Jobs by queue and state/ }).waitFor();
  const dead = region(root.page, "Dead jobs");
  await dead.getByText("onboarding.dashboard").waitFor();
  await shot(root.page, "jobs");
  await dead.getByRole("button", { name: "Retry" }).click();
  for (let i = 0; i < 50 && (await region(root.page, "Dead jobs").getByText("onboarding.dashboard").count()) > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await root.page.goto(`${base}/console/jobs`);
  }
  check((await region(root.page, "Dead jobs").getByText("onboarding.dashboard").count()) === 0, "the retried job is no longer dead");
  await root.page.getByRole("link", { name: "Audit log" }).click();
  await root.page.getByLabel("Actor").fill("olive@example.com");
  await root.page.getByLabel("Action").selectOption("user.mfa_reset");
  await root.page.getByRole("button", { name: "Filter" }).click();
  await root.page.getByRole("cell", { name: "user.mfa_reset" }).waitFor();
  await shot(root.page, "audit");
  await root.page.getByRole("link", { name: "Announcements" }).click();
  await root.page.getByLabel("Title").first().fill("Maintenance on Sunday");
  await root.page.getByLabel("Message").first().fill("Sign-in pauses for five minutes at 02:00 UTC.");
  await root.page.getByRole("button", { name: "Publish" }).click();
  await root.page.getByText("The announcement is published.").waitFor();
  await shot(root.page, "announcements");

  check(problems.length === 0, `the browser reported:\n${problems.join("\n")}`);
  console.log("ok");
} finally {
  await browser.close();
}
