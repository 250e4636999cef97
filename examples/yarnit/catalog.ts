/**
 * The yarnit shop's categories and the words people use for them. Queries are phrases drawn
 * from `phrases` with an optional `modifier` in front; some words (needles, cable, bamboo,
 * pattern, baby, crochet) belong to several categories on purpose, so that the query classifier
 * has something to learn beyond a lookup table.
 */
export interface Category {
  name: string;
  /** What people search for; the head of a query. */
  phrases: readonly string[];
  /** Words placed before a phrase ("chunky merino wool yarn"). */
  modifiers: readonly string[];
  /** Typical price in dollars (the median of a log-normal). */
  medianPrice: number;
}

export const CATEGORIES: readonly Category[] = [
  {
    name: 'yarn/wool',
    phrases: ['merino wool yarn', 'wool yarn', 'alpaca yarn', 'superwash merino', 'shetland wool', 'lambswool skein', 'aran wool', 'worsted wool yarn'],
    modifiers: ['chunky', 'soft', 'hand dyed', 'undyed', 'red', 'grey', 'fingering'],
    medianPrice: 14,
  },
  {
    name: 'yarn/cotton',
    phrases: ['cotton yarn', 'mercerized cotton', 'organic cotton yarn', 'linen blend yarn', 'dk cotton', 'bamboo cotton yarn', 'summer yarn'],
    modifiers: ['white', 'soft', 'sport weight', 'pastel', 'cheap', 'blue'],
    medianPrice: 9,
  },
  {
    name: 'yarn/acrylic',
    phrases: ['acrylic yarn', 'washable acrylic', 'budget yarn', 'baby yarn', 'bulky acrylic yarn', 'anti pill acrylic'],
    modifiers: ['cheap', 'big pack', 'rainbow', 'soft', 'machine washable'],
    medianPrice: 5,
  },
  {
    name: 'equipment/knitting-needles',
    phrases: ['cable needles', 'circular needles', 'size 8 circular needles', 'double pointed needles', 'bamboo knitting needles', 'interchangeable needle set', 'straight knitting needles', 'dpn set'],
    modifiers: ['metal', 'wooden', '32 inch', 'short', 'size 6', 'beginner'],
    medianPrice: 18,
  },
  {
    name: 'equipment/crochet-hooks',
    phrases: ['crochet hook', 'crochet hooks set', 'ergonomic crochet hook', 'steel crochet hook', 'tunisian hook', 'aluminum hook'],
    modifiers: ['size h', '5mm', 'small', 'beginner', 'comfort grip'],
    medianPrice: 12,
  },
  {
    name: 'patterns/sweaters',
    phrases: ['sweater pattern', 'cardigan pattern', 'raglan sweater', 'fair isle pullover', 'cable knit sweater pattern', 'top down sweater'],
    modifiers: ['easy', 'oversized', 'mens', 'womens', 'free', 'chunky'],
    medianPrice: 7,
  },
  {
    name: 'patterns/socks',
    phrases: ['sock pattern', 'toe up socks', 'lace socks pattern', 'slipper pattern', 'heel flap socks', 'knee socks'],
    modifiers: ['easy', 'free', 'striped', 'cozy', 'two at a time'],
    medianPrice: 6,
  },
  {
    name: 'patterns/blankets',
    phrases: ['blanket pattern', 'granny square afghan', 'baby blanket pattern', 'crochet throw', 'chunky blanket', 'afghan pattern'],
    modifiers: ['easy', 'free', 'crochet', 'modern', 'baby'],
    medianPrice: 8,
  },
  {
    name: 'notions/stitch-markers',
    phrases: ['stitch markers', 'locking stitch markers', 'ring markers', 'row counter', 'removable stitch markers'],
    modifiers: ['pack of 100', 'colorful', 'cute', 'small', 'metal'],
    medianPrice: 4,
  },
  {
    name: 'notions/tapestry-needles',
    phrases: ['tapestry needles', 'darning needle', 'yarn needle', 'blunt sewing needles', 'bent tip needles'],
    modifiers: ['large eye', 'metal', 'plastic', 'set of 6', 'bent'],
    medianPrice: 3,
  },
];

export const CATEGORY_NAMES: readonly string[] = CATEGORIES.map((c) => c.name);

/** Words anyone may add to a query; they carry no category. */
export const FILLER_WORDS: readonly string[] = ['buy', 'best', 'for', 'beginners', 'gift', 'sale', 'online', 'near', 'me'];

/** Brands printed in product titles. */
export const BRANDS: readonly string[] = ['Skein & Co', 'Loopy Ewe', 'Northfield', 'Purl House', 'Tinker Fibre', 'Bramble'];
