package tag

// Stop words, lower case, one language a string. Words of one and two
// letters need not be listed: terms shorter than three letters are never
// taken (see minTermRunes).

const stopEN = `
a about above across after afterwards again against ago ahead all almost alone along already also although
always am among amid an and another any anybody anyone anything anyway anywhere are around as at away back
be became because become becomes been before began begin behind being below beside besides between beyond
both but by can cannot could did do does doing done down during each either else elsewhere enough even
ever every everyone everything except far few for former formerly from further had has have having he her
here hers herself him himself his how however i if in inside instead into is it its itself just least less
like likely made make makes many may maybe me meanwhile might mine more moreover most mostly much must my
myself near nearly neither never nevertheless next no nobody none nor not nothing now nowhere of off often
on once one only onto or other others otherwise our ours ourselves out over own per perhaps please quite
rather really same several shall she should since so some somehow someone something sometimes somewhere
still such than that the their theirs them themselves then there thereafter therefore these they this
those though through throughout thus to together too toward towards under unless until up upon us very via
was we well were what whatever when whenever where whereas wherever whether which while who whoever whole
whom whose why will with within without would yet you your yours yourself yourselves
isn aren wasn weren hasn haven hadn doesn don didn won wouldn shan shouldn can't cannot couldn mustn let's
that's who's what's here's there's when's where's why's how's it's he's she's i'm you're we're they're
i've you've we've they've i'd you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll they'll
mr mrs ms dr gen sen rep gov col sgt capt prof lt jr sr
said says say saying told tell tells according added adds asked get gets got go goes going gone went come
comes came take takes took taken give gives gave given see seen saw know known knew think thought want
wants wanted use used using find found look looks looked seem seems seemed put keep kept show shows showed
call called calls try tried need needs needed mean means meant way ways thing things part parts lot lots
new old big small great good bad best better high low long short large little early late last first second
third next recent recently current currently former latest least
one two three four five six seven eight nine ten hundred hundreds thousand thousands million millions
billion billions dozen dozens percent
year years month months week weeks day days today yesterday tomorrow tonight time times hour hours
minute minutes morning evening night weekend
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
people person man men woman women number report reports reported reporting news story stories
statement official officials spokesman spokeswoman spokesperson source sources sourced
told including include includes included around also just many much well back still even
among amid despite whether while unlike across
image images photo photos video videos read reading click share comment comments subscribe newsletter
copyright reserved rights via getty reuters ap afp
`

const stopRU = `
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее её мне было вот от
меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж
вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто
чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой
тем чтобы нее неё сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше
тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше
чуть том нельзя такой им более всегда конечно всю между это также который которая которые которых которым
которой котором которого году года лет время свой своей своих своим своего своему является являются
сообщил сообщила сообщили заявил заявила заявили отметил отметила словам также однако ещё очень
`

const stopFR = `
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi mon ne
nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous
été étée étées étés étant suis es est sommes êtes sont serai seras sera serons serez seront serais serait
serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai auras
aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes
eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent ceci cela celà cet
cette ici ils les leurs quel quels quelle quelles sans soi aussi alors après avant comme contre depuis
donc dont encore entre lors mais moins parce pendant plus peu puis quand sous tout tous toute toutes très
selon déjà fait faire faut selon ainsi autre autres chez leurs plusieurs cette celui celle ceux celles
`

const stopES = `
de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o este sí
porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno
les ni contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él tanto esa
estos mucho quienes nada muchos cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus
ellas nosotras vosotros vosotras os mío mía míos mías tuyo tuya tuyos tuyas suyo suya suyos suyas nuestro
nuestra nuestros nuestras vuestro vuestra vuestros vuestras esos esas estoy estás está estamos estáis
están esté estés estemos estéis estén estaba estabas estábamos estabais estaban estuve estuvo he has ha
hemos habéis han haya hayas hayamos hayáis hayan había habían hubo soy eres es somos sois son sea seas
seamos seáis sean era eras éramos erais eran fue fueron fui fuimos siendo sido tengo tienes tiene tenemos
tenéis tienen tenía tenían tuvo según dijo aseguró afirmó señaló además así después año años
`

const stopDE = `
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm
andern anderr anders auch auf aus bei bin bis bist da damit dann das dass daß dasselbe dazu dein deine
deinem deinen deiner deines dem demselben den denn denselben der derer derselbe derselben des desselben
dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine
einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer eure
eurem euren eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn
ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jenem jenen
jener jenes jetzt kann kein keine keinem keinen keiner keines können könnte machen man manche manchem
manchen mancher manches mein meine meinem meinen meiner meines mich mir mit muss musste nach nicht nichts
noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich sie sind so solche
solchem solchen solcher solches soll sollte sondern sonst über um und uns unsere unserem unseren unser
unseres unter viel vom von vor während war waren warst was weg weil weiter welche welchem welchen welcher
welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum zur zwar
zwischen sagte sagt laut jahr jahre jahren seit bereits schon
`

const stopPT = `
de a o que e do da em um para com não uma os no se na por mais as dos como mas ao ele das à seu sua ou
quando muito nos já eu também só pelo pela até isso ela entre depois sem mesmo aos seus quem nas me esse
eles você essa num nem suas meu às minha numa pelos elas qual nós lhe deles essas esses pelas este dele
tu te vocês vos lhes meus minhas teu tua teus tuas nosso nossa nossos nossas dela delas esta estes estas
aquele aquela aqueles aquelas isto aquilo estou está estamos estão estive esteve estivemos estiveram
estava estávamos estavam hei há havemos hão houve houvemos houveram sou somos são era éramos eram fui foi
fomos foram seja sejam tenho tem temos têm tinha tinham tive teve tivemos tiveram segundo disse afirmou
sobre ainda ano anos após
`

const stopIT = `
ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dagl dalla dalle di del dello
dei degli dell degl della delle in nel nello nei negli nell negl nella nelle su sul sullo sui sugli sull
sugl sulla sulle per tra contro io tu lui lei noi voi loro mio mia miei mie tuo tua tuoi tue suo sua suoi
sue nostro nostra nostri nostre vostro vostra vostri vostre mi ti ci vi lo la li le gli ne il un uno una
ma ed se perché anche come dov dove che chi cui non più quale quanto quanti quanta quante quello quelli
quella quelle questo questi questa queste si tutto tutti è sono sei siamo siete era erano fu furono sia
siano ho hai ha abbiamo avete hanno aveva avevano ebbe stato stata stati state essere avere fare detto
dopo prima ancora anno anni secondo oggi ieri
`

const stopNL = `
de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om hem dan zou of
wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft hebben deze
u want nog zal me zij nu ge geen omdat iets worden toch al waren veel meer doen toen moet ben zonder kan
hun dus alles onder ja eens hier wie werd altijd doch wordt wezen kunnen ons zelf tegen na reeds wil kon
niets uw iemand geweest andere volgens jaar jaren werden zegt zei
`
