// North American area codes -> IANA zone, for the common codes outside each country's main zone and the
// big Eastern ones. Codes not listed fall back to the country's main zone (America/New_York, America/Toronto)
// and the lead is marked timezoneSource 'country' so operators can see the guess.
const groups: Record<string, string> = {
  'America/Los_Angeles':
    '209 213 279 310 323 341 350 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 747 760 805 818 820 831 840 858 909 916 925 949 951 206 253 360 425 509 564 458 503 541 971 702 725 775',
  'America/Denver': '303 719 720 970 983 385 435 801 505 575 406 307 208 986 915',
  'America/Phoenix': '480 520 602 623 928',
  'America/Chicago':
    '210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 936 940 945 956 972 979 217 224 309 312 331 447 464 618 630 708 773 779 815 847 872 218 320 507 612 651 763 952 262 274 414 534 608 715 920 314 417 557 573 636 660 816 975 319 515 563 641 712 225 318 337 504 985 205 251 256 334 659 938 228 601 662 769 479 501 870 405 539 572 580 918 316 620 785 913 308 402 531 615 629 731 901 931 701 605',
  'Pacific/Honolulu': '808',
  'America/Anchorage': '907',
  'America/New_York':
    '212 646 718 917 347 929 332 516 631 914 845 585 716 315 518 607 201 973 908 732 856 609 215 267 412 610 717 814 570 724 484 617 508 781 978 413 857 202 301 240 410 443 703 571 804 757 540 434 276 404 470 678 770 706 912 478 229 305 786 954 561 407 321 813 727 904 352 239 941 772 863 704 980 919 984 336 252 910 828 803 843 864 216 330 419 440 513 614 740 937 313 248 586 734 810 517 616 269 989 317 260 765 502 859 606 423 865 203 860 401 603 207 802 302 304',
  'America/Vancouver': '604 778 236 250 672',
  'America/Edmonton': '403 587 780 825 368',
  'America/Regina': '306 639 474',
  'America/Winnipeg': '204 431 584',
  'America/Toronto': '416 647 437 905 289 365 519 226 548 613 343 705 249 514 438 450 579 418 581 819 873 367',
  'America/Halifax': '902 782',
  'America/Moncton': '506',
  'America/St_Johns': '709',
};

export const NANP_AREA_ZONES: ReadonlyMap<string, string> = new Map(
  Object.entries(groups).flatMap(([zone, codes]) => codes.split(' ').map((c) => [c, zone] as const)),
);
