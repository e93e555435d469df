import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROMPT_TEXTS, type Lang } from '../../../src/media/prompt-catalog.js';
import { sayCallerNumber, sayCurrency, sayDate, sayDigits, sayNumber, sayPaymentReminder, sayPress } from '../../../src/media/say.js';

const text = (keys: string[], lang: Lang) =>
  keys.map((k) => {
    const t = PROMPT_TEXTS[lang][k];
    if (t === undefined) throw new Error(`key ${k} not in the ${lang} catalog`);
    return t;
  }).join(lang === 'zh' ? '' : ' ');

describe('sayNumber (en)', () => {
  it.each([
    [0, 'zero'], [7, 'seven'], [13, 'thirteen'], [20, 'twenty'], [42, 'forty two'], [100, 'one hundred'],
    [105, 'one hundred five'], [999, 'nine hundred ninety nine'], [1000, 'one thousand'], [1001, 'one thousand one'],
    [12_345, 'twelve thousand three hundred forty five'], [1_000_000, 'one million'], [2_000_017, 'two million seventeen'],
    [999_999_999, 'nine hundred ninety nine million nine hundred ninety nine thousand nine hundred ninety nine'],
  ])('%i -> %s', (n, want) => expect(text(sayNumber(n, 'en'), 'en')).toBe(want));
});

describe('sayNumber (zh)', () => {
  it.each([
    [0, '零'], [5, '五'], [10, '十'], [12, '十二'], [20, '二十'], [101, '一百零一'], [110, '一百一十'], [200, '两百'],
    [1000, '一千'], [1005, '一千零五'], [1050, '一千零五十'], [2222, '两千两百二十二'], [10_000, '一万'], [10_005, '一万零五'],
    [20_000, '两万'], [120_000, '十二万'], [100_500, '十万零五百'], [1_234_567, '一百二十三万四千五百六十七'],
    [100_000_000, '一亿'], [100_000_001, '一亿零一'], [200_000_000, '两亿'], [105_000_000, '一亿零五百万'],
    [110_000_000, '一亿一千万'], [999_999_999, '九亿九千九百九十九万九千九百九十九'], [12_000_300, '一千两百万零三百'],
  ])('%i -> %s', (n, want) => expect(text(sayNumber(n, 'zh'), 'zh')).toBe(want));

  it('rejects what it cannot say', () => {
    for (const n of [-1, 1.5, 1_000_000_000, Number.NaN]) expect(() => sayNumber(n, 'zh')).toThrow(RangeError);
  });

  it('only uses catalog keys and never doubles 零 or ends with 零 (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999_999_999 }), fc.constantFrom<Lang>('en', 'zh'), (n, lang) => {
      const s = text(sayNumber(n, lang), lang);
      if (lang === 'zh') {
        expect(s).not.toMatch(/零零/);
        expect(s).not.toMatch(/零$/);
        expect(s).not.toMatch(/^一十/);
      }
    }));
  });
});

describe('other say helpers', () => {
  it('digits with star and pound, skipping separators', () => {
    expect(text(sayDigits('+1 (555) 0*9#'), 'en')).toBe('one five five five zero star nine pound');
    expect(text(sayDigits('2026', 'zh'), 'zh')).toBe('二零二六');
  });

  it('dates', () => {
    const d = { year: 2026, month: 11, day: 22 };
    expect(text(sayDate(d, 'en', { weekday: true }), 'en')).toBe('Sunday November twenty second twenty twenty six');
    expect(text(sayDate({ year: 1905, month: 1, day: 1 }, 'en'), 'en')).toBe('January first nineteen oh five');
    expect(text(sayDate({ year: 2008, month: 3, day: 31 }, 'en'), 'en')).toBe('March thirty first two thousand eight');
    expect(text(sayDate(d, 'zh', { weekday: true }), 'zh')).toBe('二零二六年十一月二十二日星期日');
    // a Date is read in the given time zone
    const late = new Date('2026-11-22T20:00:00Z');
    expect(text(sayDate(late, 'zh', { timeZone: 'Asia/Shanghai', year: false }), 'zh')).toBe('十一月二十三日');
  });

  it('currency amounts', () => {
    expect(text(sayCurrency(12.5, 'USD', 'en'), 'en')).toBe('twelve dollars and fifty cents');
    expect(text(sayCurrency(1, 'USD', 'en'), 'en')).toBe('one dollar');
    expect(text(sayCurrency(0.01, 'EUR', 'en'), 'en')).toBe('one cent');
    expect(text(sayCurrency(0, 'GBP', 'en'), 'en')).toBe('zero pounds');
    expect(text(sayCurrency(1234.56, 'CNY', 'zh'), 'zh')).toBe('一千两百三十四元五角六分');
    expect(text(sayCurrency(2, 'CNY', 'zh'), 'zh')).toBe('两元');
    expect(text(sayCurrency(10.05, 'CNY', 'zh'), 'zh')).toBe('十元零五分');
    expect(text(sayCurrency(0.3, 'CNY', 'zh'), 'zh')).toBe('三角');
    expect(text(sayCurrency(99.99, 'USD', 'zh'), 'zh')).toBe('九十九美元零九十九美分');
    expect(() => sayCurrency(-1, 'USD')).toThrow(RangeError);
  });

  it('phrases: caller position, menu option, payment reminder', () => {
    expect(text(sayCallerNumber(3, 'en'), 'en')).toBe('You are caller number three');
    expect(text(sayCallerNumber(3, 'zh'), 'zh')).toBe('您是第三位来电者');
    expect(text(sayPress('1', 'to-speak-to-agent', 'en'), 'en')).toBe('Press one to speak to an agent.');
    expect(text(sayPress('1', 'to-speak-to-agent', 'zh'), 'zh')).toBe('人工服务请按一');
    const r = { amount: 35.2, currency: 'USD' as const, dueDate: { year: 2026, month: 12, day: 1 } };
    expect(text(sayPaymentReminder(r, 'en'), 'en')).toBe(
      'This is a friendly reminder that a payment of thirty five dollars and twenty cents is due on December first twenty twenty six');
    expect(text(sayPaymentReminder({ ...r, currency: 'CNY' }, 'zh'), 'zh')).toBe('温馨提示，您有一笔三十五元两角的款项，将于二零二六年十二月一日到期');
  });
});
