// jail6 serve in a real browser: Debian's chromium driven by puppeteer-core,
// against the lab's host (t_browser.sh starts both and passes the rest in
// the environment). Prints "ok NAME" / "not ok NAME" lines; screenshots go
// to SHOTS. It runs inside the lab's host namespace: all traffic is on its
// loopback.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const URL_ = env('SERVE_URL');
const USER = env('SERVE_USER');
const PASS = env('SERVE_PASS');
const SHOTS = env('SHOTS');
const NEW = env('NEW_JAIL');
const J6 = JSON.parse(env('JAIL6_ARGV')); // jail6 and its global options for the lab's host
// jail6 reaches liblxc's monitors from the namespace it was started in, not
// from the lab's host one where this runs: exec goes back there
const HOME_NETNS = env('HOME_NETNS');

let failed = 0;
const ok = (name, cond, detail) => {
  if (cond) {
    console.log(`ok ${name}`);
  } else {
    failed++;
    console.log(`not ok ${name}`);
    if (detail) for (const l of String(detail).split('\n').slice(0, 20)) console.log(`#   ${l}`);
  }
  return cond;
};

const profile = mkdtempSync(join(tmpdir(), 'jail6-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // as root, no sandbox; no connection to any service of Google's
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`],
  defaultViewport: { width: 1280, height: 900 },
});
const page = await browser.newPage();
page.setDefaultTimeout(60000);
// the pages must work without JavaScript
await page.setJavaScriptEnabled(false);

const text = async () => page.evaluate(() => document.body.innerText);
const go = async (path) => page.goto(URL_ + path, { waitUntil: 'load' });
const submit = async (selector) => Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
const shot = async (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
// a jail's state, as its page shows it
const jailState = async (name) => {
  await go(`/jail/${name}`);
  return page.evaluate(() => document.querySelector('main p span')?.textContent ?? '');
};

try {
  await go('/');
  ok('unauthenticated: the login page', page.url().endsWith('/login'), page.url());
  await shot('login');

  await page.type('input[name=user]', USER);
  await page.type('input[name=password]', PASS);
  await submit('button[type=submit]');
  let t = await text();
  ok('logged in: the dashboard', page.url() === `${URL_}/` && t.includes('Dashboard'), t);
  ok("the dashboard shows the lab's tunnel he0", /he0\s+UP/.test(t), t);
  ok('... its datapath and the last packet from the broker', t.includes('userspace') && /s ago|never/.test(t), t);
  ok('... bridge0 with its members', /bridge0\s+UP/.test(t) && t.includes('epair1a'), t);
  ok('... jails www and db running', /www\s+running/.test(t) && /db\s+running/.test(t), t);
  ok('... and the End Result', t.includes('jail www: running'), t);
  await shot('dashboard');

  // new jail: the plan first, then apply
  await go('/new');
  await page.type('input[name=name]', NEW);
  await page.$eval('input[name=address]', (e) => { e.value = 'auto'; });
  await page.type('input[name=pids]', '64');
  await submit('#show-plan');
  t = await text();
  ok('new jail: its plan is shown', t.includes(`${NEW}: create jail`), t);
  await shot('new-jail-plan');
  await submit('#confirm');
  t = await text();
  ok('new jail: applied', t.includes('Done:'), t);
  ok(`${NEW} is running`, (await jailState(NEW)) === 'running');
  const addr = await page.evaluate(() => {
    const cells = [...document.querySelectorAll('td')].map((c) => c.textContent);
    return cells.find((c) => c.startsWith('2001:db8:1::')) ?? '';
  });
  ok(`${NEW} has an address of bridge0's prefix`, addr !== '', addr);
  await shot('jail');
  let ping = '';
  try {
    ping = execFileSync('nsenter', [`--net=${HOME_NETNS}`, ...J6, 'exec', 'www', 'ping', '-6', '-c', '1', '-W', '5',
      addr.split('/')[0]],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    ping = `${e.stdout}${e.stderr}`;
  }
  ok(`${NEW}'s address answers ping6 from jail www`, / 0% packet loss/.test(ping), ping);

  // stop and start from its page
  for (const [op, want] of [['stop', 'absent|stopped'], ['start', 'running']]) {
    await go(`/jail/${NEW}`);
    await submit(`form[action="/jail/${NEW}/${op}"] button`);
    t = await text();
    ok(`${op}: its plan is shown`, t.includes('Apply this plan'), t);
    await submit('#confirm');
    t = await text();
    ok(`${op}: applied`, t.includes('Done:'), t);
    const st = await jailState(NEW);
    ok(`${op}: ${NEW} is ${want}`, new RegExp(`^(${want})$`).test(st), st);
  }

  // remove it
  await go(`/jail/${NEW}`);
  await submit(`form[action="/jail/${NEW}/remove"] button`);
  t = await text();
  ok('remove: its teardown plan is shown', t.includes(`${NEW}: destroy jail`), t);
  await shot('remove-plan');
  await submit('#confirm');
  t = await text();
  ok('remove: applied', t.includes('Done:'), t);
  await go('/');
  t = await text();
  ok(`the dashboard no longer lists ${NEW}`, !t.includes(NEW) && /www\s+running/.test(t), t);

  await submit('header form button');
  ok('logged out', page.url().endsWith('/login'), page.url());
  await go('/');
  ok('... and the session is gone', page.url().endsWith('/login'), page.url());
} catch (e) {
  ok('the browser run', false, e.stack);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
