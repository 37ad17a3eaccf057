// Drives Roster's pages in Debian's headless Chromium as a person would: finds every control by
// its accessible name, types, presses buttons, reads what the page says. Called by the Rust
// browser test (crates/roster/tests/api/browser.rs), which starts the release binary with its
// sinks; when this script needs what only the sinks saw (a mailed link, a texted code) it prints
//   ASK link PATH ADDRESS     →  the newest link to PATH mailed to ADDRESS
//   ASK sms NUMBER            →  the newest code texted to NUMBER
// and reads the answer from stdin. Prints "ok" at the end, or throws.
//
//   node pages.mjs BASE_URL SCREENSHOT_DIR
//
// Every page is also checked for Content-Security-Policy violations (the browser's console),
// for horizontal scroll at 375 px, and photographed at 375 px and 1280 px, light and dark.
import { check, launch, totp } from "./common.mjs";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { mkdirSync, readFileSync } from "node:fs";

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();

async function ask(...question) {
  console.log(`ASK ${question.join(" ")}`);
  const { value, done } = await lines.next();
  if (done || !value) throw new Error(`no answer to ${question.join(" ")}`);
  return value.trim();
}

const browser = await launch();

const problems = [];
async function person() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error}`));
  return { context, page };
}

// The page at 375 px without horizontal scroll, and its photographs.
async function look(page, name) {
  await page.setViewportSize({ width: 375, height: 800 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 375, `${name}: ${width} px wide at 375 px`);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${shots}/${name}-375-${scheme}.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: `${shots}/${name}-1280-${scheme}.png`, fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 900 });
}

function section(page, name) {
  return page.getByRole("region", { name });
}

async function apiToken(email, password) {
  const response = await fetch(`${base}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  check(response.ok, `API login: ${response.status}`);
  return (await response.json()).token;
}

async function api(path, token) {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  check(response.ok, `GET ${path}: ${response.status}`);
  return response.json();
}

const EMAIL = "ada@example.com";
const PASSWORD = "seven lanterns by the old mill road";
const NEW_PASSWORD = "a kettle of herons over the wide estuary";

try {
  const { context, page } = await person();

  // Sign-up, then the verification link from the mail.
  await page.goto(`${base}/`);
  check(page.url().endsWith("/sign-in"), `/ leads to the sign-in page: ${page.url()}`);
  await look(page, "sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await look(page, "sign-up");
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.locator("#password_error").waitFor();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Your account", level: 1 }).waitFor();
  const verify = await ask("link", "verify-email", EMAIL);
  await page.goto(verify);
  await page.getByRole("button", { name: "Verify email" }).click();
  await page.getByText("Your email address is verified").waitFor();
  await page.goto(`${base}/account`);
  await section(page, "Email addresses").getByText("Verified", { exact: true }).waitFor();

  // Profile and notifications saved, and read back through the API.
  const profile = section(page, "Profile");
  await profile.getByLabel("Title").fill("Analyst");
  await profile.getByLabel("Time zone").selectOption("Europe/London");
  await profile.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("Your profile is saved.").waitFor();
  const notifications = section(page, "Notifications");
  check(await notifications.getByLabel("Email: security").isDisabled(), "security email cannot be turned off");
  await notifications.getByLabel("SMS: product").check();
  await notifications.getByLabel("Email: marketing").check();
  await notifications.getByRole("button", { name: "Save" }).click();
  await page.getByText("Your notification choices are saved.").waitFor();
  const token = await apiToken(EMAIL, PASSWORD);
  const config = await api("/v1/users/config", token);
  check(config.notifications.sms.product === true && config.notifications.email.marketing === true,
    `preferences read back: ${JSON.stringify(config.notifications)}`);
  check(config.timezone === "Europe/London", `time zone: ${config.timezone}`);
  const me = await api("/v1/users/profile", token);
  check(me.title === "Analyst", `title: ${me.title}`);

  // A phone, verified with the code texted to it.
  const phones = section(page, "Phone numbers");
  await phones.getByLabel("Phone number").fill("+1 415 555 0142");
  await phones.getByRole("button", { name: "Add phone" }).click();
  await page.getByText("We sent a code to the new number").waitFor();
  const sms = await ask("sms", "+14155550142");
  await section(page, "Phone numbers").getByLabel("Code").fill(sms);
  await section(page, "Phone numbers").getByRole("button", { name: "Verify", exact: true }).click();
  await page.getByText("The number is verified.").waitFor();

  // Two-factor authentication set up in the page, from the secret it shows.
  const twoFactor = section(page, "Two-factor authentication");
  await twoFactor.getByRole("button", { name: "Set up" }).click();
  await section(page, "Two-factor authentication").getByRole("img", { name: "QR image of the secret, for your authenticator app" }).waitFor();
  await look(page, "two-factor-set-up");
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await section(page, "Two-factor authentication").screenshot({ path: `${shots}/two-factor-section-${scheme}.png` });
  }
  await page.emulateMedia({ colorScheme: "light" });
  const secret = (await page.locator("#totp-secret").textContent()).trim();
  await section(page, "Two-factor authentication").getByLabel("Code").fill("000000");
  await section(page, "Two-factor authentication").getByRole("button", { name: "Turn on" }).click();
  await page.locator("#two-factor-code-error").waitFor();
  check((await page.locator("#totp-secret").textContent()).trim() === secret, "a wrong code keeps the same secret");
  await section(page, "Two-factor authentication").getByLabel("Code").fill(totp(secret));
  await section(page, "Two-factor authentication").getByRole("button", { name: "Turn on" }).click();
  await page.getByText("Two-factor authentication is on.").waitFor();
  const codes = await page.locator(".codes code").allTextContents();
  check(codes.length === 10, `10 recovery codes: ${codes.length}`);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    section(page, "Two-factor authentication").getByRole("button", { name: "Download" }).click(),
  ]);
  const saved = readFileSync(await download.path(), "utf8");
  check(codes.every((code) => saved.includes(code)), "the download holds every code");
  await page.goto(`${base}/account`);
  await look(page, "account");

  // Signed out, and in again with a code.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByText("You are signed out.").waitFor();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Code").fill("123456" === totp(secret) ? "654321" : "123456");
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("alert").getByText("That code is not right.").waitFor();
  await look(page, "sign-in-code");
  // The enrolment spent this step's code: the next step's (within the accepted skew).
  await page.getByLabel("Code").fill(totp(secret, Date.now() + 30_000));
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("heading", { name: "Your account", level: 1 }).waitFor();

  // A session revoked on one page is signed out on the other.
  const other = await person();
  await other.page.goto(`${base}/sign-in`);
  await other.page.getByLabel("Email").fill(EMAIL);
  await other.page.getByLabel("Password").fill(PASSWORD);
  await other.page.getByRole("button", { name: "Sign in" }).click();
  await other.page.getByLabel("Code").fill(codes[0]);
  await other.page.getByRole("button", { name: "Verify" }).click();
  await other.page.getByRole("heading", { name: "Your account", level: 1 }).waitFor();
  await page.reload();
  const sessions = section(page, "Sessions");
  await sessions.getByText("This device").waitFor();
  const rows = sessions.locator("li");
  const before = await rows.count();
  check(before === 3, `three sessions (two pages, one API): ${before}`);
  // The other page's session is the newest that is not this device.
  await sessions.locator("li", { hasNotText: "This device" }).first().getByRole("button", { name: "Revoke" }).click();
  await page.waitForFunction((n) => document.querySelectorAll("#sessions li").length === n - 1, before);
  // (the API's own session was the other one not marked: revoke it too, then check the other page)
  while ((await sessions.locator("li", { hasNotText: "This device" }).count()) > 0) {
    const n = await rows.count();
    await sessions.locator("li", { hasNotText: "This device" }).first().getByRole("button", { name: "Revoke" }).click();
    await page.waitForFunction((m) => document.querySelectorAll("#sessions li").length === m - 1, n);
  }
  await other.page.goto(`${base}/account`);
  check(other.page.url().startsWith(`${base}/sign-in`), `the revoked page is signed out: ${other.page.url()}`);
  await other.context.close();

  // A form posted from another origin changes nothing.
  const csrf = await page.locator("input[name=_csrf]").first().inputValue();
  const evil = createServer((_, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(`<!DOCTYPE html><form method="post" action="${base}/account/profile">
      <input name="_csrf" value="${csrf}"><input name="name" value="Mallory"><input name="timezone" value="UTC">
      <input name="locale" value="en"><button>Go</button></form>`);
  });
  await new Promise((resolve) => evil.listen(0, "127.0.0.1", resolve));
  const evilPage = await context.newPage();
  await evilPage.goto(`http://127.0.0.1:${evil.address().port}/`);
  const [refused] = await Promise.all([evilPage.waitForNavigation(), evilPage.getByRole("button", { name: "Go" }).click()]);
  check(refused.status() === 403, `a foreign form: ${refused.status()}`);
  await evilPage.getByText("Request refused").waitFor();
  evil.close();
  await evilPage.close();
  await page.goto(`${base}/account`);
  check(await section(page, "Profile").getByLabel("Name").inputValue() === "Ada Lovelace", "the name did not change");

  // Recovery through the emailed link (with two-factor on, the reset asks for a code).
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await look(page, "recover");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Send link" }).click();
  await page.getByRole("status").waitFor();
  const reset = await ask("link", "reset-password", EMAIL);
  await page.goto(reset);
  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await page.getByLabel("Confirm password").fill(NEW_PASSWORD);
  const codeField = page.getByLabel("Authentication code");
  if (await codeField.count()) await codeField.fill(codes[1]);
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByText("Your password is set.").waitFor();
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Code").fill(codes[2]);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("heading", { name: "Your account", level: 1 }).waitFor();

  // Errors are pages.
  const missing = await page.goto(`${base}/no-such-page`);
  check(missing.status() === 404, `404: ${missing.status()}`);
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  await look(page, "not-found");

  check(problems.length === 0, `the browser reported:\n${problems.join("\n")}`);
  console.log("ok");
} finally {
  await browser.close();
  // stdin stays open (the test answers on it): let go of it, or node waits for it forever.
  input.close();
}
