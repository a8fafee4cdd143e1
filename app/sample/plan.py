"""Facts the sample zone takes from the plan 《交口经济技术开发区产业发展规划（2022-2035年）》.

Everything in this module is quoted from the plan (chapter / table noted per item), except
where a value is marked *illustrative*: those are the generator's own plausible choices for
facts the plan does not give.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Projected CRS of the sample: CGCS2000 / 3-degree Gauss–Krüger CM 111°E (no zone prefix).
CRS = "EPSG:4546"

#: 交口县 extent (chapter 3, 区位交通): 36°43′–37°12′N, 111°03′–111°34′E, as (W, S, E, N) degrees.
COUNTY_BOUNDS_LONLAT = (111 + 3 / 60, 36 + 43 / 60, 111 + 34 / 60, 37 + 12 / 60)

#: 交口县城 (county seat, in 水头镇), lon/lat degrees.
COUNTY_SEAT_LONLAT = (111.183, 36.983)


@dataclass(frozen=True)
class Park:
    park_id: str
    name: str
    name_en: str
    area_km2: float  # chapter 1, 规划范围


PARKS = (
    Park("shuitou", "水头镇园区", "Shuitou park", 3.96),
    Park("shuangchi", "双池镇园区", "Shuangchi park", 6.53),
)


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    park_id: str
    name: str  # 表8-1
    name_en: str
    kind: str  # industrial / public_service / service / reserve
    land_use: str  # planned land use of its vacant parcels


# fmt: off
CLUSTERS = (
    Cluster("st-public", "shuitou", "公共服务中心", "public service centre", "public_service", "public_service"),
    Cluster("st-almg", "shuitou", "铝镁新材料组团", "Al–Mg new materials cluster", "industrial", "industrial"),
    Cluster("st-hitech", "shuitou", "高技术产业（制造业）组团", "high-tech manufacturing cluster", "industrial",
            "industrial"),
    Cluster("st-newenergy", "shuitou", "新能源产业组团", "new energy cluster", "industrial", "industrial"),
    Cluster("sc-almg", "shuangchi", "铝镁新材料产业组团", "Al–Mg new materials cluster", "industrial", "industrial"),
    Cluster("sc-smart", "shuangchi", "智能制造及资源综合利用组团", "smart manufacturing & resource recycling cluster",
            "industrial", "industrial"),
    Cluster("sc-bio", "shuangchi", "生物健康产业组团", "bio-health cluster", "industrial", "industrial"),
    Cluster("sc-service", "shuangchi", "综合服务组团", "integrated services cluster", "service", "commercial"),
    Cluster("sc-reserve", "shuangchi", "产业备用地", "industrial reserve land", "reserve", "reserve"),
)
# fmt: on

#: 公共服务中心 用地面积约 250 亩 (chapter 8, 二、功能分区).
PUBLIC_CENTRE_MU = 250.0


@dataclass(frozen=True)
class Enterprise:
    no: int  # 序号 in 表2-1
    name: str  # 企业名称 as printed in 表2-1
    product: str  # 主要产品
    area_mu: float | None  # 占地面积（亩）; None where the table has "-"
    cluster: str  # the sample's choice of cluster (illustrative)
    land_use: str
    illustrative_mu: float | None = None  # the sample's area where the table has "-"

    @property
    def sample_mu(self) -> float:
        """Area (亩) the sample gives the enterprise's parcel: the table's, else illustrative."""
        return self.area_mu if self.area_mu is not None else float(self.illustrative_mu or 0.0)

    @property
    def area_source(self) -> str:
        return "表2-1" if self.area_mu is not None else "illustrative"


#: 表2-1 开发区现有企业汇总表 (26 rows); all in 双池镇园区 (chapter 2: 水头镇园区尚处于待开发状态).
ENTERPRISES = (
    Enterprise(1, "交口县天鹏冶炼有限公司", "生铁、洗精煤", 149.3, "sc-smart", "industrial"),
    Enterprise(2, "山东东岳能源交口肥美铝业有限责任公司", "氧化铝", 725.0, "sc-almg", "industrial"),
    Enterprise(3, "山西晟安电铝有限责任公司", "电", 150.0, "sc-almg", "industrial"),
    Enterprise(4, "山西道尔铝业有限公司", "氧化铝、铝基新材料", None, "sc-almg", "industrial", 260.0),
    Enterprise(5, "鑫瑞洗煤厂", "洗精煤", 32.0, "sc-smart", "industrial"),
    Enterprise(6, "巨龙能源洗煤厂", "洗精煤", None, "sc-smart", "industrial", 60.0),
    Enterprise(7, "汇达星洗煤厂（煤运公司）", "洗精煤", 67.0, "sc-smart", "industrial"),
    Enterprise(8, "交口县炬森源煤化厂", "洗精煤", 118.0, "sc-smart", "industrial"),
    Enterprise(9, "交口县烽晟煤业有限公司", "洗精煤", 40.0, "sc-smart", "industrial"),
    Enterprise(10, "交口县鑫元隆煤化厂", "洗精煤", 30.0, "sc-smart", "industrial"),
    Enterprise(11, "百富勤洗煤厂", "洗精煤", 95.58, "sc-smart", "industrial"),
    Enterprise(12, "交口县兴旺煤业有限公司", "洗精煤", 40.0, "sc-smart", "industrial"),
    Enterprise(13, "交口县晋源选矿厂", "铝矿石、铁矿石破碎加工", 10.0, "sc-smart", "industrial"),
    Enterprise(14, "道砥矿业有限公司", "铝土矿", 30.0, "sc-smart", "industrial"),
    Enterprise(15, "交口县回龙新长虹加油站", "汽油、柴油", 10.0, "sc-service", "commercial"),
    Enterprise(16, "交口县鑫鑫加油站", "汽油、柴油", 33.5, "sc-service", "commercial"),
    Enterprise(17, "开发区加油站", "汽油、柴油", 2.4, "sc-service", "commercial"),
    Enterprise(18, "众鑫气站", "液化石油气", 1.5, "sc-service", "commercial"),
    Enterprise(19, "兴禾复混肥原料厂", "复混肥原料", 2.8, "sc-smart", "industrial"),
    Enterprise(20, "晋双混凝土有限公司", "混凝土", 8.0, "sc-smart", "industrial"),
    Enterprise(21, "金尔泰钢结构工程公司", "彩钢板", None, "sc-smart", "industrial", 15.0),
    Enterprise(22, "巨和久建筑材料公司", "废矿石", 10.0, "sc-smart", "industrial"),
    Enterprise(23, "鑫耐德防水材料", "防水材料", 10.0, "sc-smart", "industrial"),
    Enterprise(24, "双池污水厂", "-", 23.78, "sc-service", "utility"),
    Enterprise(25, "交口县双池镇鑫康隆种养殖专业合作社", "羊", None, "sc-bio", "agricultural", 12.0),
    Enterprise(26, "山西南山百世食安农牧业有限公司", "家禽家畜养殖", None, "sc-bio", "agricultural", 25.0),
)

#: 交口县第二污水处理厂 design capacity (chapter 2, 基础设施): 近期 6000 m³/d, 远期 10000 m³/d.
WASTEWATER_PLANT_NAME = "交口县第二污水处理厂"
WASTEWATER_CAPACITY_M3_D = 6000.0
WASTEWATER_CAPACITY_FUTURE_M3_D = 10000.0

#: Substations named by the plan (chapter 2 基础设施; chapter 3 电力): 110 kV each.
SUBSTATION_SHUANGCHI = "双池110kV变电站"
SUBSTATION_SHUITOU = "水头110kV变电站"

#: Distance (m) of Shuitou park's north boundary beyond the 西山水库 dam (chapter 1).
DAM_TO_BOUNDARY_M = 350.0
