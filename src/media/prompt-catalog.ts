/**
 * Every prompt the system speaks, by key, with the text the TTS set-up (scripts/make-prompts.ts) renders.
 * The say* helpers (say.ts) only produce keys listed here; a studio recording with the same key replaces
 * the generated file (see PromptSet).
 */
export type Lang = 'en' | 'zh';
export const LANGS: readonly Lang[] = ['en', 'zh'];

const EN_ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const EN_ORD = ['', 'first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh',
  'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth', 'twentieth',
  'twenty first', 'twenty second', 'twenty third', 'twenty fourth', 'twenty fifth', 'twenty sixth', 'twenty seventh',
  'twenty eighth', 'twenty ninth', 'thirtieth', 'thirty first'];
const EN_MONTHS = ['', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const EN_WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const ZH_WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];

export type CurrencyCode = 'USD' | 'CNY' | 'EUR' | 'GBP' | 'HKD';
export const CURRENCIES: readonly CurrencyCode[] = ['USD', 'CNY', 'EUR', 'GBP', 'HKD'];

function en(): Record<string, string> {
  const t: Record<string, string> = {};
  for (let i = 0; i < 10; i++) t[`digit-${i}`] = EN_ONES[i];
  t['digit-star'] = 'star';
  t['digit-hash'] = 'pound';
  for (let i = 0; i < 20; i++) t[`n-${i}`] = EN_ONES[i];
  for (let i = 2; i < 10; i++) t[`n-${i * 10}`] = EN_TENS[i];
  Object.assign(t, { hundred: 'hundred', thousand: 'thousand', million: 'million', and: 'and', oh: 'oh' });
  for (let i = 1; i <= 31; i++) t[`ord-${i}`] = EN_ORD[i];
  for (let i = 1; i <= 12; i++) t[`month-${i}`] = EN_MONTHS[i];
  EN_WEEKDAYS.forEach((w, i) => (t[`weekday-${i}`] = w));
  const cur: Record<CurrencyCode, [string, string, string, string]> = {
    USD: ['dollar', 'dollars', 'cent', 'cents'],
    CNY: ['yuan', 'yuan', 'fen', 'fen'],
    EUR: ['euro', 'euros', 'cent', 'cents'],
    GBP: ['pound', 'pounds', 'penny', 'pence'],
    HKD: ['Hong Kong dollar', 'Hong Kong dollars', 'cent', 'cents'],
  };
  for (const [c, [m1, m, n1, n]] of Object.entries(cur)) {
    Object.assign(t, { [`cur-${c}-major-one`]: m1, [`cur-${c}-major`]: m, [`cur-${c}-minor-one`]: n1, [`cur-${c}-minor`]: n });
  }
  Object.assign(t, {
    welcome: 'Thank you for calling.',
    'you-are-caller-number': 'You are caller number',
    'please-hold': 'Please hold, your call is important to us. The next available agent will be with you shortly.',
    'all-agents-busy': 'All of our agents are busy at the moment.',
    'recording-notice': 'This call may be recorded for quality and training purposes.',
    'safe-harbor': 'Hello. We are sorry, we tried to reach you but no representative was available. We will call you back later. If you do not wish to be called again, press 9. Goodbye.',
    press: 'Press',
    'to-speak-to-agent': 'to speak to an agent.',
    'to-confirm': 'to confirm.',
    'to-repeat': 'to repeat this message.',
    'to-opt-out': 'to stop receiving these calls.',
    'to-pay-now': 'to pay now.',
    'to-promise-to-pay': 'to promise a payment date.',
    'enter-promise-date': 'Please enter the date you will pay, as year, month and day, then press the pound key.',
    'you-entered': 'You entered',
    'promise-recorded': 'Thank you. Your payment promise has been recorded.',
    'reminders-stopped': 'You will not receive further reminders for this account.',
    'payment-reminder': 'This is a friendly reminder that a payment of',
    'is-due-on': 'is due on',
    'amount-due-is': 'The amount due is',
    'please-enter-account': 'Please enter your account number, followed by the pound key.',
    'invalid-entry': 'Sorry, that entry is not valid.',
    'no-input': 'Sorry, we did not receive your input.',
    'thank-you': 'Thank you.',
    goodbye: 'Goodbye.',
    'transferring': 'Please wait while we transfer your call.',
    'leave-message': 'Please leave a message after the tone, then hang up.',
    // queue announcements (src/queue QUEUE_PROMPTS)
    'queue-you-are-number': 'You are number',
    'queue-in-line': 'in line.',
    'queue-estimated-wait': 'Your estimated wait time is',
    'queue-minutes': 'minutes.',
    'queue-less-than-a-minute': 'less than a minute.',
    'queue-callback-offer': 'To be called back instead of waiting, press 1.',
    'queue-callback-confirmed': 'Thank you. We will call you back as soon as an agent is available.',
  });
  return t;
}

function zh(): Record<string, string> {
  const t: Record<string, string> = {};
  ZH_DIGITS.forEach((d, i) => (t[`digit-${i}`] = d));
  t['digit-star'] = '星号';
  t['digit-hash'] = '井号';
  Object.assign(t, { liang: '两', 'unit-10': '十', 'unit-100': '百', 'unit-1000': '千', 'unit-1e4': '万', 'unit-1e8': '亿' });
  Object.assign(t, { year: '年', month: '月', day: '日' });
  ZH_WEEKDAYS.forEach((w, i) => (t[`weekday-${i}`] = w));
  Object.assign(t, {
    'cur-CNY-major': '元', 'cur-CNY-jiao': '角', 'cur-CNY-minor': '分',
    'cur-USD-major': '美元', 'cur-USD-minor': '美分',
    'cur-EUR-major': '欧元', 'cur-EUR-minor': '欧分',
    'cur-GBP-major': '英镑', 'cur-GBP-minor': '便士',
    'cur-HKD-major': '港元', 'cur-HKD-minor': '仙',
  });
  Object.assign(t, {
    welcome: '感谢您的来电。',
    'you-are-caller-number': '您是第',
    'caller-number-suffix': '位来电者',
    'please-hold': '请稍候，您的来电对我们很重要，我们将尽快为您接通。',
    'all-agents-busy': '所有座席正忙。',
    'recording-notice': '为了保证服务质量，您的通话可能会被录音。',
    'safe-harbor': '您好，很抱歉，我们刚才致电给您，但暂时没有可接听的服务人员。我们稍后会再与您联系。如不希望再接到来电，请按九。再见。',
    press: '请按',
    'to-speak-to-agent': '人工服务',
    'to-confirm': '确认',
    'to-repeat': '重听',
    'to-opt-out': '不再接收此类来电',
    'to-pay-now': '立即付款',
    'to-promise-to-pay': '承诺付款日期',
    'enter-promise-date': '请输入您的付款日期，按年月日输入，以井号键结束。',
    'you-entered': '您输入的是',
    'promise-recorded': '谢谢，您的付款承诺已记录。',
    'reminders-stopped': '此账户将不再向您发送提醒。',
    'payment-reminder': '温馨提示，您有一笔',
    'payment-due-suffix': '的款项，将于',
    'is-due-on': '到期',
    'amount-due-is': '您的应付金额为',
    'please-enter-account': '请输入您的账号，以井号键结束。',
    'invalid-entry': '对不起，您的输入有误。',
    'no-input': '对不起，我们没有收到您的输入。',
    'thank-you': '谢谢。',
    goodbye: '再见。',
    'transferring': '正在为您转接，请稍候。',
    'leave-message': '请在提示音后留言，留言完毕请挂机。',
    'queue-you-are-number': '您前面还有',
    'queue-in-line': '位客户在等候。',
    'queue-estimated-wait': '预计等候时间为',
    'queue-minutes': '分钟。',
    'queue-less-than-a-minute': '不到一分钟。',
    'queue-callback-offer': '如需稍后回电，请按一。',
    'queue-callback-confirmed': '谢谢，座席空闲时我们会尽快给您回电。',
  });
  return t;
}

/** key -> text per language (the TTS input). */
export const PROMPT_TEXTS: Record<Lang, Record<string, string>> = { en: en(), zh: zh() };

/** Non-speech prompts made with sox at set-up, shared by all languages (looked up under <dir>/common). */
export const COMMON_PROMPTS = ['moh', 'beep'] as const;
