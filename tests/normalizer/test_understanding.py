"""Classes of misreading found on real citizen text, each with new examples: danger versus politeness,
real words never "corrected" into others, complaint verbs, floods versus drains."""

import pytest

from normalizer.lexicon import Vocabulary, is_indonesian_word


@pytest.mark.parametrize("text", [
    "bapak2 di depan minimarket jl pramuka tiba2 jatuh kejang, udah panggil orang tapi belum ada ambulans",
    "tabrakan beruntun di flyover klender, ada pengendara motor tergeletak di aspal",
    "anak kecil tenggelam di kali dekat rusun, warga lagi nyari",
    "ibu2 terjebak lift di rusunawa marunda lantai 5 udah setengah jam",
    "kabel PLN putus jatuh ke jalan, masih ada percikan api, motor lewat situ",
    "tanggul kali sunter jebol, air deras masuk ke rumah warga",
    "a man collapsed at the bus stop in front of Sarinah and is not breathing",
    "anak2 terkunci di dalam mobil di parkiran pasar, panas banget",
    "gedung ruko roboh di glodok, ada pekerja tertimbun",
    "tanggul kali pesanggrahan bocor besar, air mulai masuk perumahan",
    "pohon asem di depan rumah no 12 udah miring mau tumbang ke arah kabel, tolong cepat",
    "segerombolan remaja bawa celurit mau tawuran di lapangan dekat stasiun",
    "gang kami terkepung banjir sejak subuh, masih ada lansia dan balita di dalam rumah",
    "dua kelompok pemuda mau bikin tawuran di bawah jembatan layang, sudah pada bawa batu",
    "ada odgj mengamuk bawa parang di depan warung, warga pada lari",
    "tiang listrik di gang kami ambruk kena angin, kabelnya melintang di jalan",
    "pohon beringin di belakang rumah tumbang barusan, hampir mengenai atap tetangga",
])
def test_danger_to_life_now_is_an_emergency(normalizer, text):
    result = normalizer.normalize(text)
    assert result.urgency == "darurat", result.evidence["urgency"]


@pytest.mark.parametrize("text", [
    "sampah di pinggir jalan kebon kacang udah bau banget. Tolong segera ditindaklanjuti!!",
    "lampu taman mati sejak minggu lalu, mohon SEGERA diperbaiki, darurat!!!",
    "pohon besar di depan sekolah miring, takut roboh kalau hujan angin",
    "lampu merah perempatan pasar rebo mati, tadi hampir tabrakan",
    "tanggul di kampung kami retak, warga khawatir jebol kalau hujan deras terus",
    "urgent please: the park's swing is broken",
    "petugas di ruang tunggu puskesmas merokok, asap rokok masuk ke ruang laktasi",
    "warga kami yang harus cuci darah dua kali seminggu belum dapat bantuan transport",
    "dinding plengsengan kali di belakang balai RW ambrol sepanjang 5 meter",
    "jalan berlubang di depan pasar, sudah dua kali motor jatuh di situ, mohon ditambal",
    "atap rumah warga lansia runtuh sebagian, mohon dibantu program bedah rumah",
    "sudah tiga minggu belum ada tindakan padahal pohon yang tumbang menimpa pagar kami",
    "pendataan bantuan sembako untuk lansia dan balita di RW 5 belum selesai",
    "warga mengungsi sementara karena gedung rumah sakit di sebelah sedang dibongkar",
])
def test_politeness_fears_and_near_misses_are_not_emergencies(normalizer, text):
    result = normalizer.normalize(text)
    assert result.urgency == "normal", result.evidence["urgency"]


@pytest.mark.parametrize("word", ["mengadukan", "melaporkan", "pengaduan", "bantuan", "diperbaiki", "keluhan"])
def test_real_words_are_known_to_the_dictionary(word):
    assert is_indonesian_word(word)


def test_a_real_word_is_never_corrected_into_another():
    vocabulary = Vocabulary(["mengajukan", "sampah", "banjir"])
    assert vocabulary.canonical("mengadukan") == "mengadukan", "to complain is not to submit"
    assert vocabulary.canonical("banjar") == "banjar", "a row of houses is no flood"
    assert vocabulary.canonical("sammpah") == "sampah", "a misspelling is still corrected"


@pytest.mark.parametrize("text", [
    "saya mau mengadukan lampu jalan mati di gang mawar",
    "mau melaporkan trotoar rusak di jl. dewi sartika",
    "keluhan: got depan rumah mampet sudah dua minggu",
    "saya ingin mengadu, sampah tidak diangkut sejak senin",
])
def test_complaint_verbs_make_a_complaint(normalizer, text):
    assert normalizer.normalize(text).type == "pengaduan"


@pytest.mark.parametrize("text", [
    "got di depan rumah mampet, air naik sampai teras",
    "saluran air tersumbat sampah jadi genangan di jalan sepanjang 100 meter",
    "BANJIR LAGI DI KAMPUNG PULO!!! air sepaha",
    "kalinya meluap gara2 sampah, rumah warga terendam",
    "tiap hujan gang kami banjir sampai masuk rumah karena gorong2 terlalu kecil, mohon dibongkar",
    "jalan kampung kami kalau hujan banjir selutut, mohon jalannya ditinggikan dan dibuat saluran",
])
def test_standing_or_rising_water_is_a_flood_even_when_drains_are_blamed(normalizer, text):
    assert normalizer.normalize(text).category == "banjir"


@pytest.mark.parametrize("text", [
    "selokan di gang kami mampet dan bau, tolong dikeruk",
    "saluran air depan sekolah tertutup tanah galian",
    "tolong keruk sungai di belakang pasar agar tidak banjir waktu musim hujan",
    "gorong2 di ujung gang ketutup lumpur, kami takut banjir kalau musim hujan datang",
])
def test_a_blocked_drain_without_flooding_is_a_drain_report(normalizer, text):
    assert normalizer.normalize(text).category == "saluran_air"


@pytest.mark.parametrize("text", [
    "Petugas gabungan mengevakuasi puluhan warga dengan perahu karet di perumahan dekat kali angke https://t.co/xyz",
    "kemarin sore telah terjadi kebakaran di gudang dekat pasar, api sudah dipadamkan dan sudah ditangani petugas",
    "tiap pagi terjebak macet di flyover pesing gara2 lampu merah mati",
    "mohon tukang parkir di depan minimarket diminta meninggalkan lokasi, tolong ditertibkan",
    "mobil pemadam kebakaran tidak bisa masuk gang kami karena portal dikunci",
    "kemarin ada kecelakaan di sini karena lampu merah mati, tolong diperbaiki",
    "ambulans puskesmas lama datangnya, kemarin nunggu 1 jam",
    "terima kasih petugas damkar yang sigap memadamkan kebakaran di gang kami",
    "mohon marka jalan di tikungan dicat ulang agar tidak terjadi kecelakaan",
    "terjadi lagi kecelakaan di tikungan tajam depan pasar, mohon dipasang rambu",
    "lambatnya respon petugas, tetangga kami pingsan di rumah dan ambulans datang sejam kemudian",
    "suami saya tertabrak motor dan sekarang dirawat di rumah sakit, mohon info bantuan biaya",
    "jalan berlubang bikin pengendara jatuh dan luka ringan, mohon ditambal",
    "kabel lampu taman ngelupas, klu hujan korslet, mohon dicek",
    "tiang telepon di mulut gang sudah miring, hampir roboh ke jalan",
])
def test_news_past_events_and_look_alikes_are_not_emergencies(normalizer, text):
    result = normalizer.normalize(text)
    assert result.urgency == "normal", result.evidence["urgency"]


@pytest.mark.parametrize("text", [
    "ada yang tahu nomor tim SAR? saudara saya terjebak banjir di lantai 2 sama bayi, tolong",
    "min tolong, air udah sedada di rumah kami, nenek gak bisa jalan, butuh perahu",
])
def test_a_call_for_help_in_danger_is_an_emergency_even_as_a_question(normalizer, text):
    result = normalizer.normalize(text)
    assert result.urgency == "darurat", result.evidence["urgency"]


@pytest.mark.parametrize("text", [
    "jalan aspal di depan sekolah berlubang besar, kalau hujan ada genangan di lubangnya",
])
def test_a_puddle_in_a_pothole_is_a_road_report(normalizer, text):
    assert normalizer.normalize(text).category == "jalan"


@pytest.mark.parametrize("text", [
    "Tim gabungan BPBD mengevakuasi 40 warga terdampak banjir di Kampung Melayu pada Rabu (12/2). https://t.co/AbC123",
    "RT @infojkt: Genangan 30 cm di Jl. Daan Mogot arah Tangerang, pengendara diimbau mencari jalur lain",
    "Polisi Bantu Evakuasi Warga Lansia Terjebak Banjir di Kawasan Cipinang https://t.co/Hd1ne5",
    "Relawan membuka posko bantuan untuk pengungsi banjir di Kampung Pulo pada Senin (3/3), warga yang butuh "
    "bantuan evakuasi diminta menghubungi posko https://t.co/Pk0s7",
])
def test_shared_news_and_headlines_are_not_reports(normalizer, text):
    result = normalizer.normalize(text)
    assert not result.is_report and result.urgency == "normal"


@pytest.mark.parametrize("text", [
    "air udah masuk rumahku sepinggang di cipinang melayu https://t.co/Xyz789",
    "tolong ada nenek terjebak banjir di lantai 2 rumahnya di kampung pulo, air masih naik https://t.co/Q1w2e3",
    "kebakaran besar di gudang dekat pasar senen, api makin membesar https://t.co/Fr3Pic",
    "BANJIR SEPINGGANG DI GANG SEMPIT KAMPUNG MELAYU, AIR TERUS NAIK https://t.co/Sh0ut",
])
def test_a_link_does_not_make_a_first_hand_report_or_a_danger_news(normalizer, text):
    assert normalizer.normalize(text).is_report


@pytest.mark.parametrize("text", [
    "selamat siang pak, ayunan di taman bermain RW 3 besinya keropos dan patah, mohon diperbaiki, terima kasih",
    "saya penjual sayur keliling, lapak di pasar dibongkar tanpa pemberitahuan, mohon keadilan",
])
def test_greetings_thanks_and_trade_words_around_a_complaint_keep_it_a_report(normalizer, text):
    assert normalizer.normalize(text).is_report


@pytest.mark.parametrize(("text", "kind"), [
    ("selamat siang, saya mau menanyakan kenapa nama saya tidak ada di daftar penerima bantuan", "permintaan_informasi"),
    ("mohon penjelasannya, untuk pindah domisili ke kelurahan lain harus bawa berkas apa", "permintaan_informasi"),
    ("seharusnya di perempatan ini dibangun jembatan penyeberangan, banyak anak sekolah menyeberang", "aspirasi"),
    ("sudah waktunya taman kota kami ditambah lampu dan bangku", "aspirasi"),
])
def test_questions_and_suggestions_in_real_wording(normalizer, text, kind):
    assert normalizer.normalize(text).type == kind


@pytest.mark.parametrize("text", [
    "salam, papan seluncuran sudah keropos dan patah, mohon diganti",
    "bagaimana kelanjutan usulan pengaspalan gang kami, apa perlu dukungan anggota DPRD dulu",
    "sertifikat tanah belum keluar",
    "Warga sekitar sudah tiga minggu melihat tumpukan puing bekas renovasi rumah kosong yang dibiarkan begitu saja "
    "oleh pemiliknya, sudah disampaikan ke RT dan kelurahan tapi belum ada tindak lanjut sama sekali, anak-anak sering "
    "main di situ dan paku berserakan, tetangga sebelah juga mengeluh karena tikus makin banyak dan baunya sampai ke "
    "dalam rumah, dinas terkait perlu segera mengangkut puing tersebut agar lingkungan kembali bersih dan sehat seperti "
    "semula seperti yang dijanjikan, beritanya bisa dibaca di https://t.co/Ab12",
])
def test_plain_defects_questions_to_officials_short_reports_and_long_letters_are_reports(normalizer, text):
    assert normalizer.normalize(text).is_report


@pytest.mark.parametrize("text", ["siap pak", "oke siap pak", "iya pak siap", "ok noted"])
def test_acknowledgements_are_no_report(normalizer, text):
    assert not normalizer.normalize(text).is_report


@pytest.mark.parametrize("text", [
    "terjadi lagi kebakaran di pasar, api masih menyala dan warga terjebak di lantai 2",
    "rumah terbakar di gang 3, api makin besar, respon lambat, damkar belum datang",
    "banjir masuk puskesmas, pasien yang dirawat di lantai 1 terjebak air sepinggang, butuh evakuasi",
    "Kebakaran Rumah Warga Di Gang Kenari, Api Masih Besar Tolong Kirim Damkar https://t.co/Tl0ng",
])
def test_a_danger_still_going_on_is_an_emergency_whatever_else_the_message_says(normalizer, text):
    result = normalizer.normalize(text)
    assert result.is_report and result.urgency == "darurat", result.evidence


@pytest.mark.parametrize("text", [
    "warga tidak mau ada tawuran lagi di lapangan, mohon dipasang cctv",
    "tiang basket di taman roboh, mohon diperbaiki pak",
    "macet gila, pengendara mengamuk klakson terus di perempatan",
])
def test_words_near_each_other_are_no_danger_by_themselves(normalizer, text):
    assert normalizer.normalize(text).urgency == "normal"


@pytest.mark.parametrize("text", [
    "kucing saya lucu",
    "selamat hari raya idul fitri mohon maaf lahir dan batin untuk semua warga kampung",
    "Promo servis AC bocor / mati, gratis cek, hubungi WA 0813 0000 1111",
    "apakah pak gubernur mau maju lagi di pilpres?",
])
def test_chatter_adverts_and_politics_are_no_report(normalizer, text):
    assert not normalizer.normalize(text).is_report


def test_an_acknowledgement_opening_a_longer_message_does_not_make_it_chatter(normalizer):
    assert normalizer.normalize("ok, anak anak sering main di pinggir kali yang tanpa pagar").is_report



@pytest.mark.parametrize(("text", "kind"), [
    ("polisi tidur di gang kami ketinggian, motor sering mentok", "pengaduan"),  # 'tinggi' names a defect here
    ("akar pohon bikin paving trotoar naik dan retak di depan sekolah", "pengaduan"),
    ("lampu taman baru dipasang bulan lalu sudah mati lagi", "pengaduan"),
    ("mohon dibangun jembatan penyeberangan di depan sekolah, anak anak susah menyeberang", "aspirasi"),
])
def test_plain_defects_are_complaints_and_new_works_suggestions(normalizer, text, kind):
    assert normalizer.normalize(text).type == kind
